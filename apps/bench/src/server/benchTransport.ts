import type { Transport, TransportOptions } from '@hubbub/transport'

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
