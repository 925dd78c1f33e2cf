import { fileURLToPath } from 'node:url'
import type { TransportName } from './benchTransport.js'
import { PinnedChild } from './PinnedChild.js'

/**
 * Full-server fan-out: server CPU per 1M deliveries for 1 room × MEMBERS
 * sockets and a 64-byte text, through the whole Hubbub server (a client sends
 * `message` frames; the server validates, sequences and publishes), next to the
 * bare transport doing only `publish` of a frame of the same size, in the same run.
 * Server pinned to CPU 1, sockets (publisher + members) pinned to CPU 0.
 *
 * Env: MEMBERS (1000), PUBLISHES (measured; 2000 on ws, 10000 on uws, whose windows are
 *      otherwise too short to rise above the noise of a shared machine), WARMUP (500), BURST (20),
 *      TRIALS (3, best kept), TRANSPORTS (ws,uws), MODES (full,raw),
 *      PROFILE_DIR (CPU-profile each server process during its measured window only).
 */
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback)
const members = env('MEMBERS', 1000)
const publishesFor = (t: TransportName) => env('PUBLISHES', t === 'ws' ? 2000 : 10_000)
const warmup = env('WARMUP', 500)
const burst = env('BURST', 20)
const trials = env('TRIALS', 3)
const transports = (process.env.TRANSPORTS ?? 'ws,uws').split(',') as TransportName[]
const modes = (process.env.MODES ?? 'full,raw').split(',') as Array<'full' | 'raw'>
const FLOOR = 1.3
const TEXT = 'x'.repeat(64)

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url))

interface Trial {
  cpuMsPer1M: number
  /** User-space share of the server's CPU (the rest is kernel time, mostly socket writes). */
  userShare: number
  deliveriesPerSec: number
  frameLength: number
}

async function trial(transport: TransportName, mode: 'full' | 'raw', frameLength: number): Promise<Trial> {
  const server = new PinnedChild(1, here('./fanoutServer.ts'), [transport, mode])
  const clients = new PinnedChild(0, here('./fanoutClients.ts'))
  try {
    const { port } = await server.next<{ port: number }>('listening')
    await clients.request({ type: 'setup', port, members, mode, roomId: 'bench' }, 'ready')
    // raw publishes the client's frame as-is: make it as long as the full server's `message` frame.
    const text = mode === 'full' ? TEXT : 'y'.repeat(frameLength)
    await clients.request({ type: 'run', publishes: warmup, burst, text }, 'done')
    await server.request({ type: 'cpu-start' }, 'cpu-started')
    const done = await clients.request<{ deliveries: number; elapsedMs: number; frameLength: number }>(
      { type: 'run', publishes: publishesFor(transport), burst, text },
      'done',
    )
    const cpu = await server.request<{ us: number; userUs: number }>({ type: 'cpu-stop' }, 'cpu')
    return {
      cpuMsPer1M: cpu.us / 1000 / (done.deliveries / 1e6),
      userShare: cpu.userUs / cpu.us,
      deliveriesPerSec: done.deliveries / (done.elapsedMs / 1000),
      frameLength: done.frameLength,
    }
  } finally {
    await Promise.all([clients.stop(), server.stop()])
  }
}

const best = (xs: Trial[]) => xs.reduce((a, b) => (b.cpuMsPer1M < a.cpuMsPer1M ? b : a))
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const results: Record<string, Record<string, { best: Trial; medianCpuMsPer1M: number }>> = {}
let frameLength = 150
for (const transport of transports) {
  const runs: Record<string, Trial[]> = { full: [], raw: [] }
  for (let t = 0; t < trials; t++) {
    // Alternate the paths so background load on this shared machine hits both alike.
    for (const mode of modes) {
      const r = await trial(transport, mode, frameLength)
      if (mode === 'full') frameLength = r.frameLength
      runs[mode]!.push(r)
      console.error(
        `  ${transport} ${mode} trial ${t + 1}: ${r.cpuMsPer1M.toFixed(0)} ms CPU / 1M (${(r.userShare * 100).toFixed(0)}% user), ${Math.round(r.deliveriesPerSec).toLocaleString('en')} deliveries/s, frame ${r.frameLength} B`,
      )
    }
  }
  results[transport] = {}
  for (const mode of modes) {
    const xs = runs[mode]!
    results[transport]![mode] = { best: best(xs), medianCpuMsPer1M: median(xs.map((x) => x.cpuMsPer1M)) }
  }
}

const rows: string[][] = [
  ['transport', 'path', 'CPU ms / 1M deliv (best)', 'median', 'deliveries/s', 'vs raw'],
]
const summary: Record<string, Record<string, number | boolean>> = {}
for (const transport of transports) {
  const r = results[transport]!
  const raw = r.raw?.best.cpuMsPer1M
  const full = r.full?.best.cpuMsPer1M
  for (const mode of modes) {
    const x = r[mode]!
    const ratio = raw !== undefined ? x.best.cpuMsPer1M / raw : Number.NaN
    rows.push([
      transport,
      mode === 'full' ? 'full server' : 'raw transport publish',
      x.best.cpuMsPer1M.toFixed(0),
      x.medianCpuMsPer1M.toFixed(0),
      Math.round(x.best.deliveriesPerSec).toLocaleString('en'),
      Number.isNaN(ratio) ? '-' : `${ratio.toFixed(2)}×`,
    ])
  }
  summary[transport] = {
    ...(raw !== undefined ? { rawCpuMsPer1M: Math.round(raw) } : {}),
    ...(full !== undefined ? { fullCpuMsPer1M: Math.round(full) } : {}),
    ...(raw !== undefined && full !== undefined
      ? { ratio: Number((full / raw).toFixed(3)), withinFloor: full / raw <= FLOOR }
      : {}),
  }
}
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
for (const row of rows)
  console.log(row.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '))
console.log(
  JSON.stringify({
    bench: 'server-fanout',
    members,
    textBytes: TEXT.length,
    frameBytes: frameLength,
    publishes: Object.fromEntries(transports.map((t) => [t, publishesFor(t)])),
    trials,
    floor: FLOOR,
    results: summary,
  }),
)
