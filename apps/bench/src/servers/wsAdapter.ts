import { wsTransport } from '@hubbub/transport-ws'
import { BENCH_TOPIC, type BenchServerFactory } from './BenchServer.js'

/** `@hubbub/transport-ws`: one pre-built frame per publish, written to each subscriber socket. */
export const wsAdapter: BenchServerFactory = async () => {
  const transport = wsTransport()
  transport.onConnection((c) => c.subscribe(BENCH_TOPIC))
  const { port } = await transport.listen({ port: 0, host: '127.0.0.1' })
  return {
    port,
    subscribers: () => transport.connections,
    publish: (data) => transport.publish(BENCH_TOPIC, data),
    close: () => transport.close({ graceMs: 0 }),
  }
}
