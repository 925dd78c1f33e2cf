// The wiring: a Hubbub server whose `c4:*` rooms run connect four and `arena:*` rooms the arena, on the
// chosen transport, in memory (or on Redis, with each game owned by one node), with the game page
// (public/) and the client's browser bundle beside it.
import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type RedisNode, RedisRoomPlacement, redisNode } from '@hubbub/redis'
import { createServer, type HubbubServer, type Logger, type ServerOptions } from '@hubbub/server'
import type { TransportFactory } from '@hubbub/transport'
import { uwsTransport } from '@hubbub/transport-uws'
import { wsTransport } from '@hubbub/transport-ws'
import { type ArenaTick, arena } from './arena.js'
import { clientBundlePath } from './clientBundlePath.js'
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
  /** Serve the game page (lobby, connect four, arena) at `/`. Default true. */
  page?: boolean
  /** The page's folder. Default: the app's `public/` (or `dist/public` when built). */
  staticDir?: string
  /**
   * The client's ES module bundle, served as `/hubbub-client.js`. Default: the file behind the
   * `@hubbub/client/browser` export (build it with `pnpm --filter @hubbub/client build`).
   */
  clientBundle?: string
  /** Arena ticks per second. Default 20. */
  arenaHz?: number
  /** Called after each arena tick (simulation and broadcast): for benchmarks. */
  onArenaTick?: (tick: ArenaTick) => void
  /**
   * Run on Redis, as one of several nodes: rooms, presence and snapshots are shared, and each game
   * (connect four, arena: `owned` rooms) runs on the one node that holds its lease. Players of one
   * game may connect to different nodes. Default: in memory, one node.
   */
  redis?: GameRedisOptions
}

export interface GameRedisOptions {
  /** A `redis://` URL. */
  url: string
  /** Key prefix shared by the nodes of one deployment. Default `hubbub-games`. */
  prefix?: string
  /** This node's id. Default: random. */
  nodeId?: string
  /** How soon a dead node's games move to another node. Default 5,000 ms. */
  leaseTtlMs?: number
  /** How often an owner renews its leases. Default 1,500 ms, or 30 % of `leaseTtlMs` when that is set. */
  renewEveryMs?: number
}

/** The path the page imports the client from. */
export const CLIENT_MODULE = '/hubbub-client.js'

/** The page's folder: `public/` beside `src/` (from source) or inside `dist/` (built). */
export function pageDir(): string {
  const here = dirname(fileURLToPath(import.meta.url))
  const found = [join(here, 'public'), join(here, '..', 'public')].find((d) => existsSync(d))
  if (found === undefined) throw new Error(`the game page (public/) is not beside ${here}`)
  return found
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
  #redis: { node: RedisNode; placement: RedisRoomPlacement } | undefined
  #port: number | undefined
  constructor(readonly options: GameServerOptions = {}) {}

  async start(): Promise<void> {
    const o = this.options
    const factory = transports[o.transport ?? 'ws']
    if (factory === undefined) throw new Error(`unknown transport "${o.transport}" (use ws or uws)`)
    const page = o.page ?? true
    let bundle: Uint8Array | undefined
    if (page) {
      // Read once: a rebuild of the client (tsup empties dist) cannot race a request.
      const path = o.clientBundle ?? clientBundlePath()
      try {
        bundle = new Uint8Array(await readFile(path))
      } catch (cause) {
        throw new Error(
          `the game page needs the client's browser bundle (${path}): run \`pnpm --filter @hubbub/client build\``,
          { cause },
        )
      }
    }
    const arenaOptions = {
      ...(o.arenaHz === undefined ? {} : { hz: o.arenaHz }),
      ...(o.onArenaTick === undefined ? {} : { onTick: o.onArenaTick }),
    }
    const redis = o.redis === undefined ? undefined : startRedis(o.redis)
    const options: ServerOptions = {
      ...(redis === undefined
        ? {}
        : { ...redis.node.server, placement: redis.placement, nodeId: redis.nodeId }),
      transport: factory,
      ...(page ? { http: { staticFiles: { dir: o.staticDir ?? pageDir() } } } : {}),
      auth: { anonymous: true },
      rooms: [
        { match: GAME_ROOM, behaviour: connectFour(o.turnMs === undefined ? {} : { turnMs: o.turnMs }) },
        { match: ARENA_ROOM, behaviour: arena(arenaOptions) },
      ],
      roomGraceMs: o.roomGraceMs ?? 60_000,
      ...(o.heartbeatMs === undefined ? {} : { heartbeatMs: o.heartbeatMs }),
      ...(o.logger ? { logger: o.logger } : {}),
    }
    const server = createServer(options)
    if (bundle !== undefined && server.transport !== undefined) {
      const body = bundle
      server.transport.http((req) =>
        req.method === 'GET' && req.path === CLIENT_MODULE
          ? {
              status: 200,
              headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' },
              body,
            }
          : undefined,
      )
    }
    try {
      await server.ready
      const bound = await server.listen({
        port: o.port ?? 7202,
        ...(o.host === undefined ? {} : { host: o.host }),
      })
      this.#port = bound.port
    } catch (err) {
      await server.close({ graceMs: 0 }).catch(() => {})
      await closeRedis(redis)
      throw err
    }
    this.#server = server
    this.#redis = redis
  }

  async stop(options: { graceMs?: number } = {}): Promise<void> {
    const server = this.#server
    const redis = this.#redis
    this.#server = undefined
    this.#redis = undefined
    this.#port = undefined
    await server?.close(options)
    await closeRedis(redis)
  }

  get port(): number | undefined {
    return this.#port
  }

  get server(): HubbubServer {
    if (this.#server === undefined) throw new Error('GameServer is not running')
    return this.#server
  }
}

/** The node's Redis parts: log, bus, presence, registry, snapshots, and the placement of owned rooms. */
function startRedis(r: GameRedisOptions) {
  const prefix = r.prefix ?? 'hubbub-games'
  const nodeId = r.nodeId ?? randomUUID()
  const node = redisNode({ redis: r.url, prefix, nodeId })
  const renewEveryMs =
    r.renewEveryMs ?? (r.leaseTtlMs === undefined ? undefined : Math.ceil(r.leaseTtlMs * 0.3))
  const placement = new RedisRoomPlacement({
    redis: r.url,
    prefix,
    ...(r.leaseTtlMs === undefined ? {} : { leaseTtlMs: r.leaseTtlMs }),
    ...(renewEveryMs === undefined ? {} : { renewEveryMs }),
  })
  return { node, placement, nodeId }
}

/** After the server closed: the placement gives its leases up, then every connection to Redis closes. */
async function closeRedis(
  redis: { node: RedisNode; placement: RedisRoomPlacement } | undefined,
): Promise<void> {
  if (redis === undefined) return
  await redis.placement.close()
  await redis.node.close()
}
