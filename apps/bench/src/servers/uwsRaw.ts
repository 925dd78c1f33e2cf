import { createRequire } from 'node:module'
import { BENCH_TOPIC, type BenchServerFactory } from './BenchServer.js'

type Uws = typeof import('uWebSockets.js')

/** Raw uWebSockets.js: native `app.publish`, with the same 1 MiB backpressure limit the adapter uses. */
export const uwsRaw: BenchServerFactory = async () => {
  const uws = createRequire(import.meta.url)('uWebSockets.js') as Uws
  // the unofficial build can fall back to a JavaScript implementation; a native bench must not
  if (!Function.prototype.toString.call(uws.App).includes('[native code]'))
    throw new Error('uWebSockets.js is not native')
  let count = 0
  const app = uws.App().ws('/ws', {
    maxBackpressure: 1024 * 1024,
    maxPayloadLength: 64 * 1024,
    idleTimeout: 0,
    open: (ws) => {
      ws.subscribe(BENCH_TOPIC)
      count++
    },
    close: () => {
      count--
    },
  })
  let listenSocket: unknown
  const port = await new Promise<number>((resolve, reject) =>
    app.listen('127.0.0.1', 0, (socket) => {
      if (!socket) return reject(new Error('listen failed'))
      listenSocket = socket
      resolve(uws.us_socket_local_port(socket as never))
    }),
  )
  return {
    port,
    subscribers: () => count,
    publish: (data) => {
      app.publish(BENCH_TOPIC, data, false)
    },
    async close() {
      if (listenSocket) uws.us_listen_socket_close(listenSocket as never)
    },
  }
}
