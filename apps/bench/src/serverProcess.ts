import { BENCH_TOPIC } from './servers/BenchServer.js'
import { benchServers } from './servers/index.js'

/**
 * The server side of a fan-out bench, in its own process (pinned to its own core).
 * argv: <variant>. IPC out: {type:'listening', port} | {type:'skipped', reason}.
 * IPC in: {type:'subscribers'} and {type:'run', deliveriesPerSecond, warmupMs, durationMs};
 * a run publishes to one topic at the offered rate and reports the CPU this process
 * used during the measured window (process.cpuUsage: user + system).
 */
const variant = process.argv[2] ?? ''
const load = benchServers[variant]
if (!load) throw new Error(`unknown bench server ${variant}`)

let server: Awaited<ReturnType<Awaited<ReturnType<typeof load>>>>
try {
  server = await (await load())()
} catch (err) {
  process.send?.({ type: 'skipped', reason: err instanceof Error ? err.message : String(err) })
  process.exit(0)
}
process.send?.({ type: 'listening', port: server.port })

let sequence = 0
/** One message as an app would encode it, once per publish. */
const encode = (): string =>
  JSON.stringify({
    type: 'message',
    room: BENCH_TOPIC,
    offset: ++sequence,
    body: 'the quick brown fox jumps over',
  })

interface Run {
  type: 'run'
  deliveriesPerSecond: number
  warmupMs: number
  durationMs: number
}

async function run({ deliveriesPerSecond, warmupMs, durationMs }: Run): Promise<void> {
  const subscribers = server.subscribers()
  const publishesPerSecond = deliveriesPerSecond / subscribers
  // tick once per due publish (not every 1 ms), so idle timer wake-ups do not pad the CPU figures
  const tickMs = Math.max(1, Math.floor(1000 / publishesPerSecond))
  const publishFor = (ms: number): Promise<number> =>
    new Promise((resolve) => {
      const start = performance.now()
      let done = 0
      const tick = setInterval(() => {
        const elapsed = performance.now() - start
        const due = Math.floor((Math.min(elapsed, ms) / 1000) * publishesPerSecond)
        // a saturated server falls behind; it never bursts more than 50 ms of backlog to catch up
        const cap = Math.max(1, Math.ceil(publishesPerSecond * 0.05))
        for (let n = 0; done < due && n < cap; n++, done++) server.publish(encode())
        if (elapsed >= ms) {
          clearInterval(tick)
          resolve(done)
        }
      }, tickMs)
    })
  await publishFor(warmupMs)
  process.send?.({ type: 'window-start' })
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const published = await publishFor(durationMs)
  const cpu = process.cpuUsage(cpu0)
  const elapsedMs = performance.now() - t0
  process.send?.({
    type: 'window-end',
    published,
    subscribers,
    deliveries: published * subscribers,
    cpuMs: (cpu.user + cpu.system) / 1000,
    systemCpuMs: cpu.system / 1000,
    elapsedMs,
  })
}

process.on('message', (msg: { type: string }) => {
  if (msg.type === 'subscribers') process.send?.({ type: 'subscribers', count: server.subscribers() })
  if (msg.type === 'run') void run(msg as unknown as Run)
  if (msg.type === 'exit') void server.close().finally(() => process.exit(0))
})
