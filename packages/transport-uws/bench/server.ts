// One fan-out server for the bench: `raw` (uWebSockets.js app.publish) or `adapter`
// (uwsTransport().publish). Prints its port, waits for "go <publishesPerSec> <seconds>",
// publishes, waits for "done", then prints its CPU use as JSON.
import { createRequire } from 'node:module'
import { createInterface } from 'node:readline'
import { uwsTransport } from '../src/index.js'

const mode = process.argv[2] === 'raw' ? 'raw' : 'adapter'
const payload = new Uint8Array(Number(process.argv[3] ?? 64)).fill(120)
let publish: (data: Uint8Array) => void
let port: number

if (mode === 'raw') {
  const uws = createRequire(import.meta.url)('uWebSockets.js') as typeof import('uWebSockets.js')
  const app = uws.App()
  app.ws('/*', {
    idleTimeout: 0,
    maxBackpressure: 1024 * 1024,
    maxPayloadLength: 64 * 1024,
    open: (ws) => {
      ws.subscribe('t')
    },
  })
  port = await new Promise<number>((resolve) =>
    app.listen(0, (socket) => resolve(socket ? uws.us_socket_local_port(socket as never) : -1)),
  )
  publish = (data) => {
    app.publish('t', data, true)
  }
} else {
  const transport = uwsTransport({ allowedOrigins: '*' })
  transport.onConnection((c) => c.subscribe('t'))
  port = (await transport.listen({ port: 0 })).port
  publish = (data) => transport.publish('t', data)
}
console.log(JSON.stringify({ port }))

const lines = createInterface({ input: process.stdin })
let start: NodeJS.CpuUsage | undefined
let publishes = 0
lines.on('line', (line) => {
  const [cmd, a, b] = line.split(' ')
  if (cmd === 'go') {
    const rate = Number(a)
    const seconds = Number(b)
    start = process.cpuUsage()
    const t0 = performance.now()
    // Publish whatever is due, then sleep until the next one is: the offered rate holds
    // under load, and no busy timer adds CPU that is not fan-out.
    const tick = () => {
      const elapsed = (performance.now() - t0) / 1000
      const due = Math.min(elapsed, seconds) * rate
      while (publishes < due) {
        publish(payload)
        publishes++
      }
      if (elapsed >= seconds) return console.log(JSON.stringify({ published: publishes }))
      const nextAtMs = (publishes / rate) * 1000
      setTimeout(tick, Math.max(1, nextAtMs - (performance.now() - t0)))
    }
    tick()
  } else if (cmd === 'done') {
    const cpu = process.cpuUsage(start)
    console.log(JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000, publishes }))
    process.exit(0)
  }
})
