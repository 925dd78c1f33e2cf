import { createServer, type ServerOptions } from '@hubbub/server'
import type { TransportName } from './benchTransport.js'

/**
 * The whole Hubbub server as the benches run it: anonymous clients, the chat
 * room, heartbeats off (like the raw rows), and the rate limit lifted, since
 * one publisher sends far more than 20 frames/s on purpose.
 */
export async function startFullServer(
  name: TransportName,
  /** Extra server options (e.g. a Redis node's log, bus, presence and registry). */
  extra: Partial<ServerOptions> = {},
): Promise<{ port: number; close(): Promise<void> }> {
  const transport =
    name === 'ws'
      ? (await import('@hubbub/transport-ws')).wsTransport
      : (await import('@hubbub/transport-uws')).uwsTransport
  const server = createServer({
    transport,
    transportOptions: { allowedOrigins: '*' },
    auth: { anonymous: true },
    heartbeatMs: 0,
    limits: {
      ratePerSecond: 1e9,
      rateBurst: 1e9,
      ...(process.env.BENCH_PRESENCE_LIMIT
        ? { presenceLimit: Number(process.env.BENCH_PRESENCE_LIMIT) }
        : {}),
    },
    ...extra,
  })
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' })
  return { port, close: () => server.close({ graceMs: 0 }) }
}
