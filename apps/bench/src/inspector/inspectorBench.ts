import { execSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { INSPECTOR_PROTOCOL_PREFIX, INSPECTOR_ROOM } from '@hubbub/server'
import WebSocket from 'ws'
import type { TransportName } from '../server/benchTransport.js'
import { PinnedChild } from '../server/PinnedChild.js'
import { INSPECTOR_BENCH_SECRET } from './secret.js'

/**
 * What the inspector costs the fan-out path: the full-server fan-out bench (1 room × MEMBERS
 * sockets, 64-byte texts, server pinned to CPU 1 and sockets to CPU 0) in three variants, run in
 * rounds A B C A B C … so background load hits them alike:
 *  - disabled: no `inspector` option;
 *  - closed: `inspector` enabled, nobody watching (the claim: no cost);
 *  - open: enabled, with one inspector socket joined to `hubbub:inspector` for the whole run
 *    (snapshots each second, lifecycle events, the event-loop histogram).
 * Each variant's server CPU per 1M deliveries is the median of ROUNDS runs; the overheads are
 * relative to the disabled median.
 *
 * In the same rounds, after the fan-out trials, the actor bench's workload (`actorWorkload.ts`:
 * windowed casts and call round trips on a server's actor system, pinned to CPU 1) runs paired,
 * disabled then closed: casts per CPU second and CPU µs per call, each the median of ROUNDS runs.
 *
 * The last line is a JSON object with `closedOverheadPct` (the worse of the fan-out's closed
 * overhead and `actorClosedOverheadPct`, itself the worse of cast and call), `fanoutClosedOverheadPct`,
 * `actorClosedOverheadPct` and `openOverheadPct` (fan-out, page open).
 *
 * Env: ROUNDS (5), MEMBERS (1000), PUBLISHES (8000 on ws, 10000 on uws), WARMUP (500), BURST (20),
 *      TRANSPORT (ws); ACTOR_CASTS, ACTOR_CALLS, ACTOR_REPS (see actorWorkload.ts).
 */
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback)
const rounds = env('ROUNDS', 5)
const members = env('MEMBERS', 1000)
const transport = (process.env.TRANSPORT ?? 'ws') as TransportName
// ws batches a turn's frames per socket now, so a round of 2,000 took too little CPU to
// measure: its spread between rounds (±10%) was larger than the 3% to be shown
const publishes = env('PUBLISHES', transport === 'ws' ? 8000 : 10_000)
const warmup = env('WARMUP', 500)
const burst = env('BURST', 20)
const TEXT = 'x'.repeat(64)
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url))

type Variant = 'disabled' | 'closed' | 'open'
const variants: Variant[] = ['disabled', 'closed', 'open']

/** One inspector page's worth of load: a socket with the secret, joined to the inspector room. */
async function watch(port: number): Promise<{ snapshots(): number; close(): void }> {
  const protocol = INSPECTOR_PROTOCOL_PREFIX + Buffer.from(INSPECTOR_BENCH_SECRET).toString('base64url')
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, ['hubbub.v1.json', protocol])
  let snapshots = 0
  await new Promise<void>((resolve, reject) => {
    ws.on('message', (data) => {
      const f = JSON.parse(String(data)) as { type: string; kind?: string }
      if (f.type === 'welcome') ws.send(JSON.stringify({ type: 'join', roomId: INSPECTOR_ROOM }))
      if (f.type === 'inspector' && f.kind === 'snapshot' && snapshots++ === 0) resolve()
    })
    ws.once('error', reject)
    ws.once('unexpected-response', (_req, res) =>
      reject(new Error(`inspector upgrade: HTTP ${res.statusCode}`)),
    )
  })
  return { snapshots: () => snapshots, close: () => ws.terminate() }
}

async function trial(variant: Variant): Promise<{ cpuMsPer1M: number; snapshots: number }> {
  const server = new PinnedChild(1, here('../server/fanoutServer.ts'), [
    transport,
    variant === 'disabled' ? 'full' : 'inspector',
  ])
  const clients = new PinnedChild(0, here('../server/fanoutClients.ts'))
  let watcher: Awaited<ReturnType<typeof watch>> | undefined
  try {
    const { port } = await server.next<{ port: number }>('listening')
    await clients.request({ type: 'setup', port, members, mode: 'full', roomId: 'bench' }, 'ready')
    if (variant === 'open') watcher = await watch(port)
    await clients.request({ type: 'run', publishes: warmup, burst, text: TEXT }, 'done')
    await server.request({ type: 'cpu-start' }, 'cpu-started')
    const before = watcher?.snapshots() ?? 0
    const done = await clients.request<{ deliveries: number }>(
      { type: 'run', publishes, burst, text: TEXT },
      'done',
    )
    const cpu = await server.request<{ us: number }>({ type: 'cpu-stop' }, 'cpu')
    return {
      cpuMsPer1M: cpu.us / 1000 / (done.deliveries / 1e6),
      snapshots: (watcher?.snapshots() ?? 0) - before,
    }
  } finally {
    watcher?.close()
    await Promise.all([clients.stop(), server.stop()])
  }
}

type ActorVariant = 'disabled' | 'closed'
const actorVariants: ActorVariant[] = ['disabled', 'closed']
type ActorRun = { castPerSec: number; callUs: number }

async function actorTrial(variant: ActorVariant): Promise<ActorRun> {
  const child = new PinnedChild(1, here('./actorWorkload.ts'), [variant])
  try {
    const r = await child.next<ActorRun & { watched: boolean }>('result')
    if (r.watched) throw new Error('actor workload: the inspector was watched in a closed run')
    return { castPerSec: r.castPerSec, callUs: r.callUs }
  } finally {
    await child.stop()
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
const loadavg = () => {
  try {
    return execSync('uptime', { encoding: 'utf8' }).trim()
  } catch {
    return 'uptime unavailable'
  }
}

console.error(
  `inspector overhead bench: ${transport}, ${members} members, ${publishes} publishes, ${rounds} rounds`,
)
console.error(`before: ${loadavg()}`)
const runs: Record<Variant, number[]> = { disabled: [], closed: [], open: [] }
const actorRuns: Record<ActorVariant, ActorRun[]> = { disabled: [], closed: [] }
let snapshotsSeen = 0
for (let r = 0; r < rounds; r++) {
  // The order rotates every round (a Latin square over three rounds), so a variant is not always
  // the one that runs right after another server's thousand sockets were torn down.
  const order = variants.map((_, i) => variants[(i + r) % variants.length]!)
  const row: string[] = []
  for (const v of order) {
    const t = await trial(v)
    runs[v].push(t.cpuMsPer1M)
    if (v === 'open') snapshotsSeen += t.snapshots
    row.push(`${v} ${t.cpuMsPer1M.toFixed(0)}`)
  }
  console.error(`  round ${r + 1}: ${row.join('  ')} (ms CPU / 1M deliveries)`)
  const actorRow: string[] = []
  for (const v of r % 2 === 0 ? actorVariants : [...actorVariants].reverse()) {
    const t = await actorTrial(v)
    actorRuns[v].push(t)
    actorRow.push(`${v} ${t.castPerSec} casts/CPU s ${t.callUs.toFixed(3)} CPU µs/call`)
  }
  console.error(`  round ${r + 1} actor: ${actorRow.join('  ')}`)
}
const after = loadavg()
const med = Object.fromEntries(variants.map((v) => [v, median(runs[v])])) as Record<Variant, number>
const pct = (x: number) => Number(((x / med.disabled - 1) * 100).toFixed(2))

const rows = [
  ['variant', ...Array.from({ length: rounds }, (_, i) => `run ${i + 1}`), 'median', 'vs disabled'],
]
for (const v of variants) {
  rows.push([
    v,
    ...runs[v].map((x) => x.toFixed(0)),
    med[v].toFixed(0),
    v === 'disabled' ? '-' : `${pct(med[v]) >= 0 ? '+' : ''}${pct(med[v]).toFixed(1)}%`,
  ])
}
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
for (const row of rows)
  console.log(row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '))
console.log(`server CPU ms per 1M deliveries; after: ${after}`)

// The actor workload, paired: cast/s (higher is better) and call µs (lower is better).
const castMed = Object.fromEntries(
  actorVariants.map((v) => [v, median(actorRuns[v].map((x) => x.castPerSec))]),
) as Record<ActorVariant, number>
const callMed = Object.fromEntries(
  actorVariants.map((v) => [v, median(actorRuns[v].map((x) => x.callUs))]),
) as Record<ActorVariant, number>
const round2 = (x: number) => Number(x.toFixed(2))
const castOverheadPct = round2((castMed.disabled / castMed.closed - 1) * 100)
const callOverheadPct = round2((callMed.closed / callMed.disabled - 1) * 100)
const actorClosedOverheadPct = Math.max(castOverheadPct, callOverheadPct)
const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}%`
const actorRows = [
  ['actor', ...Array.from({ length: rounds }, (_, i) => `run ${i + 1}`), 'median', 'cost vs disabled'],
]
for (const v of actorVariants) {
  actorRows.push([
    `${v} casts/CPU s`,
    ...actorRuns[v].map((x) => String(x.castPerSec)),
    String(Math.round(castMed[v])),
    v === 'disabled' ? '-' : signed(castOverheadPct),
  ])
}
for (const v of actorVariants) {
  actorRows.push([
    `${v} CPU µs/call`,
    ...actorRuns[v].map((x) => x.callUs.toFixed(3)),
    callMed[v].toFixed(3),
    v === 'disabled' ? '-' : signed(callOverheadPct),
  ])
}
const actorWidths = actorRows[0]!.map((_, i) => Math.max(...actorRows.map((r) => r[i]!.length)))
for (const row of actorRows)
  console.log(
    row.map((c, i) => (i === 0 ? c.padEnd(actorWidths[i]!) : c.padStart(actorWidths[i]!))).join('  '),
  )
console.log(
  'actor workload on a server actor system, pinned to CPU 1: per CPU second of its process, each the best of ACTOR_REPS',
)

const fanoutClosedOverheadPct = pct(med.closed)
console.log(
  JSON.stringify({
    bench: 'inspector-overhead',
    transport,
    members,
    publishes,
    rounds,
    medianCpuMsPer1M: Object.fromEntries(variants.map((v) => [v, Math.round(med[v])])),
    openSnapshotsMeasured: snapshotsSeen,
    actorMedians: {
      castPerSec: { disabled: Math.round(castMed.disabled), closed: Math.round(castMed.closed) },
      callUs: { disabled: callMed.disabled, closed: callMed.closed },
    },
    uptime: after,
    fanoutClosedOverheadPct,
    actorCastOverheadPct: castOverheadPct,
    actorCallOverheadPct: callOverheadPct,
    actorClosedOverheadPct,
    closedOverheadPct: Math.max(fanoutClosedOverheadPct, actorClosedOverheadPct),
    openOverheadPct: pct(med.open),
  }),
)
