import type { Transport } from '@hubbub/transport'
import { BENCH_TOPIC, type BenchServer } from './BenchServer.js'

/** A Hubbub transport as a bench server: every connection joins the bench topic; publish is `transport.publish`. */
export async function transportServer(transport: Transport): Promise<BenchServer> {
  transport.onConnection((c) => c.subscribe(BENCH_TOPIC))
  const { port } = await transport.listen({ port: 0, host: '127.0.0.1' })
  return {
    port,
    subscribers: () => transport.connections,
    publish: (data) => transport.publish(BENCH_TOPIC, data),
    close: () => transport.close({ graceMs: 0 }),
  }
}
