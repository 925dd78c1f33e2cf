import type { Connection, Transport, TransportOptions } from '@hubbub/transport'

export type TransportName = 'ws' | 'uws'

/** Both adapters with heartbeats off, so no timer work lands in a measured window. */
export async function benchTransport<I = unknown>(
  name: TransportName,
  options: TransportOptions<I> = {},
): Promise<Transport<I>> {
  const opts: TransportOptions<I> = { heartbeat: { intervalMs: 0 }, allowedOrigins: '*', ...options }
  if (name === 'ws') return (await import('@hubbub/transport-ws')).wsTransport(opts)
  return (await import('@hubbub/transport-uws')).uwsTransport(opts)
}

/** A bench server process's server: the port it listens on, and how to stop it. */
export interface RunningServer {
  port: number
  close(): Promise<void>
}

/** The bare transport adapter on a free loopback port, each connection wired by `wire`. */
export async function startTransport(
  name: TransportName,
  wire: (connection: Connection, transport: Transport) => void,
): Promise<RunningServer> {
  const transport = await benchTransport(name)
  transport.onConnection((connection) => wire(connection, transport))
  const { port } = await transport.listen({ port: 0, host: '127.0.0.1' })
  return { port, close: () => transport.close({ graceMs: 0 }) }
}
