import { BENCH_TOPIC, type BenchServerFactory } from './BenchServer.js'

/** `@hubbub/transport-uws`, loaded lazily so the bench still runs (row skipped) before it is built. */
export const uwsAdapter: BenchServerFactory = async () => {
  const { uwsTransport } = await import('@hubbub/transport-uws')
  const transport = uwsTransport()
  transport.onConnection((c) => c.subscribe(BENCH_TOPIC))
  const { port } = await transport.listen({ port: 0, host: '127.0.0.1' })
  return {
    port,
    subscribers: () => transport.connections,
    publish: (data) => transport.publish(BENCH_TOPIC, data),
    close: () => transport.close({ graceMs: 0 }),
  }
}
