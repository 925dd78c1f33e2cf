// The wiring: a Hubbub server whose `c4:*` rooms run connect four, on the chosen transport, in memory.
import { createServer, type HubbubServer, type Logger, type ServerOptions } from '@hubbub/server'
import type { TransportFactory } from '@hubbub/transport'
import { uwsTransport } from '@hubbub/transport-uws'
import { wsTransport } from '@hubbub/transport-ws'
import { arena } from './arena.js'
import { connectFour } from './connectFour.js'

export type TransportName = 'ws' | 'uws'

export interface GameServerOptions {
  /** `ws` (default) or `uws` (uWebSockets.js), as in the chat demo. */
  transport?: TransportName
  /** Listen on this port (0 picks a free one). Default 7202. */
  port?: number
  host?: string
  /** The player to move forfeits after this long. Default 30,000 ms. */
  turnMs?: number
  /** WebSocket ping interval (ms); 0 disables. Default 25,000. */
  heartbeatMs?: number
  /** An empty game room stops after this long (and its game is kept in memory). Default 60,000 ms. */
  roomGraceMs?: number
  logger?: Logger
}

const transports: Record<TransportName, TransportFactory<any>> = {
  ws: wsTransport as TransportFactory<any>,
  uws: uwsTransport as TransportFactory<any>,
}

/** Rooms whose id starts with `c4:` are connect-four games, `arena:` real-time arenas; any other is a chat room. */
export const GAME_ROOM = /^c4:/
export const ARENA_ROOM = /^arena:/

export class GameServer {
  #server: HubbubServer | undefined
  #port: number | undefined
  constructor(readonly options: GameServerOptions = {}) {}

  async start(): Promise<void> {
    const o = this.options
    const factory = transports[o.transport ?? 'ws']
    if (factory === undefined) throw new Error(`unknown transport "${o.transport}" (use ws or uws)`)
    const options: ServerOptions = {
      transport: factory,
      auth: { anonymous: true },
      rooms: [
        { match: GAME_ROOM, behaviour: connectFour(o.turnMs === undefined ? {} : { turnMs: o.turnMs }) },
        { match: ARENA_ROOM, behaviour: arena() },
      ],
      roomGraceMs: o.roomGraceMs ?? 60_000,
      ...(o.heartbeatMs === undefined ? {} : { heartbeatMs: o.heartbeatMs }),
      ...(o.logger ? { logger: o.logger } : {}),
    }
    const server = createServer(options)
    try {
      await server.ready
      const bound = await server.listen({
        port: o.port ?? 7202,
        ...(o.host === undefined ? {} : { host: o.host }),
      })
      this.#port = bound.port
    } catch (err) {
      await server.close({ graceMs: 0 }).catch(() => {})
      throw err
    }
    this.#server = server
  }

  async stop(options: { graceMs?: number } = {}): Promise<void> {
    const server = this.#server
    this.#server = undefined
    this.#port = undefined
    await server?.close(options)
  }

  get port(): number | undefined {
    return this.#port
  }

  get server(): HubbubServer {
    if (this.#server === undefined) throw new Error('GameServer is not running')
    return this.#server
  }
}
