// Prints a table and, as its last line, one JSON object. Run: pnpm --filter @hubbub/actor bench
// (pin it on a quiet core: taskset -c 1 pnpm --filter @hubbub/actor bench). Each figure is the best
// of many short windows, so a shared machine's quiet moments show through its noisy ones.
import { ActorSystem, type GenServer, Supervisor } from '../src/index.js'

const gc = (globalThis as { gc?: () => void }).gc
const now = () => performance.now()

type Call = 'get'
type Cast = 'inc' | 'crash'
const Counter: GenServer<number, number, Call, Cast, number> = {
  init: (n) => n,
  handleCast(msg, s) {
    if (msg === 'crash') throw new Error('crash')
    return s + 1
  },
  handleCall: (_m, _f, s) => ({ reply: s, state: s }),
}
const handleCast = Counter.handleCast!
const handleCall = Counter.handleCall!

function best(runs: number, fn: () => number): number {
  let b = Number.POSITIVE_INFINITY
  for (let i = 0; i < runs; i++) b = Math.min(b, fn())
  return b
}
async function bestAsync(runs: number, fn: () => Promise<number>): Promise<number> {
  let b = Number.POSITIVE_INFINITY
  for (let i = 0; i < runs; i++) b = Math.min(b, await fn())
  return b
}

const system = new ActorSystem({ onError: () => {} })
const ref = await system.start(Counter, 0)

// Cast, small windows: 64 casts, then yield so the batch drains (what a busy server looks like).
const WINDOW = 64
const CASTS = 500_000
const castSec = await bestAsync(10, async () => {
  const t = now()
  for (let i = 0; i < CASTS; i += WINDOW) {
    for (let k = 0; k < WINDOW; k++) system.cast(ref, 'inc')
    await null
  }
  return (now() - t) / 1000
})
const castFloorSec = await bestAsync(10, async () => {
  let s = 0
  const t = now()
  for (let i = 0; i < CASTS; i += WINDOW) {
    for (let k = 0; k < WINDOW; k++) s = handleCast('inc', s, ref) as number
    await null
  }
  return (now() - t) / 1000
})

// Cast burst: 100,000 queued at once, then drained.
const BURST = 100_000
const burstSec = await bestAsync(10, async () => {
  const t = now()
  for (let i = 0; i < BURST; i++) system.cast(ref, 'inc')
  await system.call(ref, 'get')
  return (now() - t) / 1000
})
const burstMicrotaskSec = await bestAsync(10, async () => {
  let s = 0
  const t = now()
  for (let i = 0; i < BURST; i++)
    queueMicrotask(() => {
      s = handleCast('inc', s, ref) as number
    })
  await new Promise<void>((r) => queueMicrotask(r))
  return (now() - t) / 1000
})

// Call round trip, sequential awaits.
const CALLS = 50_000
const callUs = await bestAsync(20, async () => {
  const t = now()
  for (let i = 0; i < CALLS; i++) await system.call(ref, 'get')
  return ((now() - t) * 1000) / CALLS
})
const callFloorUs = await bestAsync(20, async () => {
  let s = 0
  const t = now()
  for (let i = 0; i < CALLS; i++) {
    s = await new Promise<number>((resolve) =>
      queueMicrotask(() => resolve((handleCall('get', {}, s, ref) as { reply: number }).reply)),
    )
  }
  return ((now() - t) * 1000) / CALLS
})

// Start + stop of one process.
const STARTS = 20_000
const startStopUs = await bestAsync(20, async () => {
  const t = now()
  for (let i = 0; i < STARTS; i++) {
    const r = await system.start(Counter, 0)
    await system.stop(r)
  }
  return ((now() - t) * 1000) / STARTS
})
const startStopFloorUs = await bestAsync(20, async () => {
  const table = new Map<number, { state: number }>()
  const t = now()
  for (let i = 0; i < STARTS; i++) {
    table.set(i, await Promise.resolve({ state: Counter.init(0, ref) as number }))
    table.delete(i)
    await Promise.resolve()
  }
  return ((now() - t) * 1000) / STARTS
})

// Heap per idle GenServer at 10,000 live (each has answered one call, so its mailbox exists).
async function heapPer(make: () => Promise<unknown>, n = 10_000): Promise<number> {
  if (gc === undefined) return Number.NaN
  const keep: unknown[] = new Array(n)
  gc()
  gc()
  const before = process.memoryUsage().heapUsed
  for (let i = 0; i < n; i++) keep[i] = await make()
  gc()
  gc()
  const after = process.memoryUsage().heapUsed
  const per = (after - before) / n
  keep.length = 0
  return per
}
const heapSystem = new ActorSystem()
const heapBytes = await heapPer(async () => {
  const r = await heapSystem.start(Counter, 0)
  await heapSystem.call(r, 'get')
  return r
})
await heapSystem.shutdown()
const plainTable = new Map<number, unknown>()
let plainId = 0
const heapFloorBytes = await heapPer(async () => {
  const o = { state: Counter.init(0, ref) }
  plainTable.set(plainId++, o)
  return o
})
plainTable.clear()

// Restart latency: crash → supervisor restarts → the new child answers a call.
const supSystem = new ActorSystem({ onError: () => {} })
await Supervisor.start(supSystem, {
  strategy: 'one_for_one',
  intensity: { maxRestarts: 1_000_000, withinMs: 1000 },
  children: [{ id: 'w', behaviour: Counter, args: 0, options: { name: 'w' } }],
})
const latencies: number[] = []
for (let i = 0; i < 2000; i++) {
  const old = supSystem.registry.whereis('w')!
  const t = now()
  supSystem.cast(old, 'crash')
  let cur = supSystem.registry.whereis('w')
  for (let spins = 0; cur === undefined || cur === old; spins++) {
    await (spins < 1000 ? null : new Promise((r) => setImmediate(r)))
    cur = supSystem.registry.whereis('w')
  }
  await supSystem.call(cur, 'get')
  latencies.push(now() - t)
}
latencies.sort((a, b) => a - b)
const restartMs = latencies[Math.floor(latencies.length / 2)]!
const restartP99Ms = latencies[Math.floor(latencies.length * 0.99)]!
const restartFloorMs = best(5, () => {
  const t = now()
  for (let i = 0; i < 10_000; i++) {
    let s: number
    try {
      handleCast('crash', 0, ref)
    } catch {
      s = Counter.init(0, ref) as number
      void s
    }
  }
  return (now() - t) / 10_000
})
await supSystem.shutdown()
await system.shutdown()

const round = (v: number, d = 3) => Number(v.toFixed(d))
const result = {
  castPerSec: Math.round(CASTS / castSec),
  castBurstPerSec: Math.round(BURST / burstSec),
  callRoundTripUs: round(callUs),
  startStopUs: round(startStopUs),
  heapBytesPerProcess: Math.round(heapBytes),
  restartLatencyMs: round(restartMs, 4),
  restartLatencyP99Ms: round(restartP99Ms, 4),
  floorCastPerSec: Math.round(CASTS / castFloorSec),
  floorCastBurstMicrotaskPerSec: Math.round(BURST / burstMicrotaskSec),
  floorCallRoundTripUs: round(callFloorUs),
  floorStartStopUs: round(startStopFloorUs),
  floorHeapBytesPerProcess: Math.round(heapFloorBytes),
  floorRestartMs: round(restartFloorMs, 5),
  ratioCast: round(CASTS / castFloorSec / (CASTS / castSec), 2),
  ratioCastBurst: round(BURST / burstMicrotaskSec / (BURST / burstSec), 2),
  ratioCall: round(callUs / callFloorUs, 2),
  ratioStartStop: round(startStopUs / startStopFloorUs, 2),
  ratioHeap: round(heapBytes / heapFloorBytes, 2),
}

const rows: [string, string, string, string][] = [
  [
    'cast (64-msg windows)',
    `${fmt(result.castPerSec)} msg/s`,
    `${fmt(result.floorCastPerSec)} msg/s (direct call)`,
    `${result.ratioCast}x`,
  ],
  [
    'cast burst (100k queued)',
    `${fmt(result.castBurstPerSec)} msg/s`,
    `${fmt(result.floorCastBurstMicrotaskPerSec)} msg/s (queueMicrotask each)`,
    `${result.ratioCastBurst}x`,
  ],
  [
    'call round trip',
    `${result.callRoundTripUs} µs`,
    `${result.floorCallRoundTripUs} µs (promise + queueMicrotask)`,
    `${result.ratioCall}x`,
  ],
  [
    'start + stop',
    `${result.startStopUs} µs`,
    `${result.floorStartStopUs} µs (object in a Map)`,
    `${result.ratioStartStop}x`,
  ],
  [
    'heap per idle process (10k)',
    `${result.heapBytesPerProcess} B`,
    `${result.floorHeapBytesPerProcess} B (object in a Map)`,
    `${result.ratioHeap}x`,
  ],
  [
    'restart latency p50 / p99',
    `${result.restartLatencyMs} / ${result.restartLatencyP99Ms} ms`,
    `${result.floorRestartMs} ms (catch + init)`,
    '',
  ],
]
function fmt(n: number): string {
  return n.toLocaleString('en-US')
}
const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c]!.length), 10))
const line = (r: string[]) => r.map((v, i) => v.padEnd(widths[i]!)).join('  ')
console.log(line(['operation', '@hubbub/actor', 'floor', 'x floor']))
for (const r of rows) console.log(line(r))
if (gc === undefined) console.log('(heap figures need node --expose-gc)')
console.log(JSON.stringify(result))
