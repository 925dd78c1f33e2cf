import { type Client, connect } from '@hubbub/client'
import { msgpackWire } from '@hubbub/client/msgpack'
import { MemoryRoomLog, MemoryRoomStateStore } from '@hubbub/rooms'
import { createServer, type ServerOptions } from '@hubbub/server'
import { uwsTransport } from '@hubbub/transport-uws'
import { wsTransport } from '@hubbub/transport-ws'
import { onTestFinished } from 'vitest'
import { WebSocket } from 'ws'
import { Awareness } from 'y-protocols/awareness'
import * as Y from 'yjs'
import { type YjsRoomOptions, yjsRoom } from '../src/index.js'
import { HubbubYjsProvider } from '../src/provider.js'

export type TransportFactory = NonNullable<ServerOptions['transport']>

export const transports = [
  { name: 'ws', factory: wsTransport as TransportFactory },
  { name: 'uws', factory: uwsTransport as TransportFactory },
]

/** A real server on 127.0.0.1 (a free port) running `yjsRoom` for every room, with its log and store at hand. */
export async function startYjsServer(
  factory: TransportFactory,
  options: YjsRoomOptions = {},
  server: Partial<ServerOptions> = {},
) {
  const behaviour = yjsRoom(options)
  const log = new MemoryRoomLog({ size: 1000, retain: true })
  const state = new MemoryRoomStateStore()
  const hubbub = createServer({
    transport: factory,
    auth: { anonymous: true },
    heartbeatMs: 0,
    roomGraceMs: 0,
    rooms: behaviour,
    log,
    state,
    ...server,
  } as ServerOptions)
  onTestFinished(() => hubbub.close({ graceMs: 200 }))
  const { port } = await hubbub.listen({ port: 0, host: '127.0.0.1' })
  return { server: hubbub, behaviour, log, state, url: `ws://127.0.0.1:${port}/ws` }
}

/** A msgpack client with a short backoff, closed when the test ends. */
export function yjsClient(url: string, token?: string): Client {
  const client = connect(url, {
    ...(token === undefined ? {} : { token }),
    WebSocket: WebSocket as never,
    wire: msgpackWire,
    reconnect: { minMs: 10, maxMs: 60, factor: 2, jitter: 0.5 },
  })
  onTestFinished(() => client.close())
  return client
}

/** A client, its own document and awareness, and a provider on `roomId`. */
export function editor(url: string, roomId: string, username: string, token?: string) {
  const client = yjsClient(url, token)
  const doc = new Y.Doc()
  const awareness = new Awareness(doc)
  const provider = new HubbubYjsProvider(client, roomId, doc, token ? { awareness } : { awareness, username })
  onTestFinished(() => {
    provider.destroy()
    awareness.destroy()
  })
  return { client, doc, awareness, provider, text: () => doc.getText('text').toString() }
}

/** Liveness waits: generous, since the machine running the suite may be stalled by other work. */
export const live = { timeout: 15_000 }
