import { execFileSync } from 'node:child_process'
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import type { TransportName } from '../server/benchTransport.js'
import { startOwnRedis } from './ownRedis.js'
import { type RowSpec, runTrial, type TrialResult } from './redisTrial.js'

/**
 * Hubbub on Redis, 2 nodes vs 1: 1 room × MEMBERS sockets, 64-byte messages in closed-loop bursts
 * (a burst is sent, then every member must have it), server CPU (user + system, nodes summed) per
 * 1M deliveries for
 *   - 1 node in memory (no Redis),
 *   - 1 node on Redis,
 *   - 2 nodes on Redis, members dealt over both, publishers on both;
 * and the same three for Socket.IO (with `@socket.io/redis-adapter`) as the peer row.
 * Runs a redis-server of its own on a free port; nodes and Redis pinned to one core, the load
 * generator to the other. Prints a table and, last, one JSON line.
 *
 * Every row sends the same number of publishes. The rows run in rounds, each round forwards then
 * backwards (A B C C B A), so load and drift on a shared machine hit every row alike; a row's
 * figure in a round is its two trials together, and a ratio is the median over rounds of that
 * round's ratio, printed with its spread (lowest–highest). `uptime` is printed before and after.
 *
 * Flags: --transport=ws,uws  --members=1000  --publishes=4000 (measured, every trial of every row)
 *        --warmup=N  --window=120000 (ms: a safety cap; a trial that hits it sent fewer publishes,
 *        which the JSON line reports as `samePublishes: false`)  --burst=20  --rounds=3
 *        --no-peer (skip Socket.IO)  --redis-core=1 (the core Redis is pinned to; the nodes are on
 *        1, the load generator on 0)  --quick (100 members, a few hundred publishes, one round)
 *        --per-publish (adds, per transport, the 2-node row with one publish script call per
 *        message instead of batched calls, measured in the same rounds)
 */
const { values: flags } = parseArgs({
  // `pnpm --filter @hubbub/redis bench -- --no-peer` hands the script a literal `--` first.
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    transport: { type: 'string', default: 'ws,uws' },
    members: { type: 'string' },
    publishes: { type: 'string' },
    window: { type: 'string' },
    warmup: { type: 'string' },
    burst: { type: 'string', default: '20' },
    rounds: { type: 'string' },
    /** The old name of --rounds. */
    trials: { type: 'string' },
    'no-peer': { type: 'boolean', default: false },
    'per-publish': { type: 'boolean', default: false },
    'redis-core': { type: 'string', default: '1' },
    quick: { type: 'boolean', default: false },
  },
})
const quick = flags.quick
const members = Number(flags.members ?? (quick ? 100 : 1000))
const transports = flags.transport.split(',').filter(Boolean) as TransportName[]
for (const t of transports) if (t !== 'ws' && t !== 'uws') throw new Error(`--transport: ws or uws, not ${t}`)
/** Measured publishes of every trial of every row: the rows are compared on the same work. */
const publishes = Number(flags.publishes ?? (quick ? 200 : 4000))
const warmup = Number(flags.warmup ?? (quick ? 40 : 200))
const burst = Number(flags.burst)
const windowMs = Number(flags.window ?? 120_000)
const rounds = Number(flags.rounds ?? flags.trials ?? (quick ? 1 : 3))
const FLOOR = 1.2
const TEXT = 'x'.repeat(64)

const uptime = (): string => {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim()
  } catch {
    return `load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(', ')}`
  }
}

const label = (r: RowSpec) =>
  `${r.kind === 'sio' ? 'socket.io' : 'hubbub'} ${r.kind === 'sio' ? 'ws' : r.transport} ${r.nodes} node${r.nodes > 1 ? 's' : ''} ${r.redis ? 'on Redis' : 'in memory'}${r.perPublish ? ' (one script call per publish)' : ''}`

const rows: RowSpec[] = []
for (const transport of transports) {
  for (const [nodes, redis] of [
    [1, false],
    [1, true],
    [2, true],
  ] as const)
    rows.push({ kind: 'hubbub', transport, nodes, redis })
  if (flags['per-publish']) rows.push({ kind: 'hubbub', transport, nodes: 2, redis: true, perPublish: true })
}
if (!flags['no-peer'])
  for (const [nodes, redis] of [
    [1, false],
    [1, true],
    [2, true],
  ] as const)
    rows.push({ kind: 'sio', transport: 'ws', nodes, redis })

const started = performance.now()
const loadBefore = loadavg()[0]!
const uptimeBefore = uptime()
console.log(`uptime before: ${uptimeBefore}  (a shared machine: figures are loaded unless it is idle)`)
const redis = await startOwnRedis(Number(flags['redis-core']))
/** results.get(row)[round]: the row's trials in that round (two: forwards and backwards). */
const results = new Map<RowSpec, TrialResult[][]>(rows.map((r) => [r, []]))
const runId = `bench-redis-${process.pid}`
try {
  for (let round = 0; round < rounds; round++) {
    for (const r of rows) results.get(r)!.push([])
    const order = [...rows, ...[...rows].reverse()]
    for (let i = 0; i < order.length; i++) {
      const row = order[i]!
      const r = await runTrial(row, {
        members,
        warmup,
        publishes,
        maxMs: windowMs,
        burst,
        text: TEXT,
        redis,
        prefix: `${runId}:${round}:${i}`,
        serverCore: 1,
        loadCore: 0,
      })
      results.get(row)![round]!.push(r)
      console.error(
        `  round ${round + 1} ${label(row)}: ${r.cpuMsPer1M.toFixed(0)} ms CPU / 1M (+ Redis ${r.redisCpuMsPer1M.toFixed(0)}), ` +
          `${Math.round(r.deliveriesPerSec).toLocaleString('en')} deliveries/s, ${r.deliveries}/${r.expected} delivered`,
      )
    }
  }
} finally {
  await redis.stop()
}
const uptimeAfter = uptime()

const round3 = (x: number, digits = 3) => Number(x.toFixed(digits))
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
const spread = (xs: number[]) => ({ min: round3(Math.min(...xs)), max: round3(Math.max(...xs)) })

/** A row's trials of one round taken together: CPU and deliveries summed, latencies averaged. */
function pool(trials: TrialResult[]) {
  const deliveries = trials.reduce((s, t) => s + t.deliveries, 0)
  const millions = deliveries / 1e6
  const sum = (f: (t: TrialResult) => number) => trials.reduce((s, t) => s + f(t), 0)
  const avg = (f: (t: TrialResult) => number) => sum(f) / trials.length
  return {
    cpuMsPer1M: sum((t) => (t.cpuMsPer1M * t.deliveries) / 1e6) / millions,
    redisCpuMsPer1M: sum((t) => (t.redisCpuMsPer1M * t.deliveries) / 1e6) / millions,
    userShare: avg((t) => t.userShare),
    deliveriesPerSec: avg((t) => t.deliveriesPerSec),
    burstP50Ms: avg((t) => t.burstP50Ms),
    burstP99Ms: avg((t) => t.burstP99Ms),
    redisBytesPerMember: avg((t) => t.redisBytesPerMember),
  }
}
type Pooled = ReturnType<typeof pool>
const pooled = new Map(rows.map((r) => [r, results.get(r)!.map(pool)]))
/** A row's median over rounds of each figure. */
const medianOf = (row: RowSpec): Pooled => {
  const per = pooled.get(row)!
  const m = (f: (p: Pooled) => number) => median(per.map(f))
  return {
    cpuMsPer1M: m((p) => p.cpuMsPer1M),
    redisCpuMsPer1M: m((p) => p.redisCpuMsPer1M),
    userShare: m((p) => p.userShare),
    deliveriesPerSec: m((p) => p.deliveriesPerSec),
    burstP50Ms: m((p) => p.burstP50Ms),
    burstP99Ms: m((p) => p.burstP99Ms),
    redisBytesPerMember: m((p) => p.redisBytesPerMember),
  }
}
const find = (
  kind: RowSpec['kind'],
  transport: TransportName,
  nodes: number,
  onRedis: boolean,
  perPublish = false,
) =>
  rows.find(
    (r) =>
      r.kind === kind &&
      r.transport === transport &&
      r.nodes === nodes &&
      r.redis === onRedis &&
      (r.perPublish ?? false) === perPublish,
  )!
/** Per round: `a`'s figure over `b`'s. */
const perRound = (a: RowSpec, b: RowSpec, f: (p: Pooled) => number) =>
  pooled.get(a)!.map((p, i) => f(p) / f(pooled.get(b)![i]!))

/** The 2-node-vs-1 ratios of one server kind on one transport: medians of per-round ratios. */
function ratios(kind: RowSpec['kind'], transport: TransportName, perPublish = false) {
  const oneRow = find(kind, transport, 1, false)
  const oneRedisRow = find(kind, transport, 1, true)
  const twoRow = find(kind, transport, 2, true, perPublish)
  const [one, oneRedis, two] = [oneRow, oneRedisRow, twoRow].map(medianOf) as [Pooled, Pooled, Pooled]
  const r2 = perRound(twoRow, oneRow, (p) => p.cpuMsPer1M)
  const rRedis = perRound(twoRow, oneRow, (p) => p.cpuMsPer1M + p.redisCpuMsPer1M)
  const r1 = perRound(oneRedisRow, oneRow, (p) => p.cpuMsPer1M)
  return {
    cpuMsPer1M: {
      oneNodeMemory: round3(one.cpuMsPer1M, 0),
      oneNodeRedis: round3(oneRedis.cpuMsPer1M, 0),
      twoNodesRedis: round3(two.cpuMsPer1M, 0),
    },
    redisCpuMsPer1M: {
      oneNodeRedis: round3(oneRedis.redisCpuMsPer1M, 0),
      twoNodesRedis: round3(two.redisCpuMsPer1M, 0),
    },
    /** Redis memory per member once the room is full (2 nodes): presence, registry, the room's keys. */
    redisBytesPerMember: Math.round(two.redisBytesPerMember),
    /** Median over rounds of (2 nodes on Redis) / (1 node in memory), server CPU per delivery. */
    cpuRatio2NodeVs1Node: round3(median(r2)),
    cpuRatio2NodeVs1NodeSpread: spread(r2),
    cpuRatio2NodeVs1NodeRounds: r2.map((x) => round3(x)),
    cpuRatioWithRedis: round3(median(rRedis)),
    cpuRatioWithRedisSpread: spread(rRedis),
    cpuRatio1NodeRedisVs1Node: round3(median(r1)),
    cpuRatio1NodeRedisVs1NodeSpread: spread(r1),
    burstMs: {
      oneNodeMemory: { p50: round3(one.burstP50Ms, 2), p99: round3(one.burstP99Ms, 2) },
      twoNodesRedis: { p50: round3(two.burstP50Ms, 2), p99: round3(two.burstP99Ms, 2) },
      /** Added by the Redis path: 2 nodes on Redis minus 1 node in memory. */
      addedP50: round3(two.burstP50Ms - one.burstP50Ms, 2),
      addedP99: round3(two.burstP99Ms - one.burstP99Ms, 2),
    },
  }
}

const all = [...results.values()].flat(2)
const table: string[][] = [
  [
    'row (median of rounds)',
    'server CPU ms/1M',
    'Redis CPU ms/1M',
    'user %',
    'deliveries/s',
    'delivered',
    'burst p50/p99 ms',
  ],
]
for (const row of rows) {
  const r = medianOf(row)
  const trials = results.get(row)!.flat()
  table.push([
    label(row),
    r.cpuMsPer1M.toFixed(0),
    row.redis ? r.redisCpuMsPer1M.toFixed(0) : '-',
    (r.userShare * 100).toFixed(0),
    Math.round(r.deliveriesPerSec).toLocaleString('en'),
    `${trials.reduce((s, t) => s + t.deliveries, 0)}/${trials.reduce((s, t) => s + t.expected, 0)}`,
    `${r.burstP50Ms.toFixed(1)}/${r.burstP99Ms.toFixed(1)}`,
  ])
}
const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)))
for (const line of table)
  console.log(line.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '))

const byTransport = Object.fromEntries(transports.map((t) => [t, ratios('hubbub', t)]))
const perPublishRatios = flags['per-publish']
  ? Object.fromEntries(transports.map((t) => [t, ratios('hubbub', t, true)]))
  : undefined
const peer = flags['no-peer'] ? undefined : ratios('sio', 'ws')
const worst = Math.max(...transports.map((t) => byTransport[t]!.cpuRatio2NodeVs1Node))
const show = (r: ReturnType<typeof ratios>) =>
  `${r.cpuRatio2NodeVs1Node}× (rounds ${r.cpuRatio2NodeVs1NodeRounds.join(', ')})`
for (const t of transports) {
  console.log(
    `${t}: 2 nodes vs 1 = ${show(byTransport[t]!)} (floor ≤ ${FLOOR}), with Redis's CPU ${byTransport[t]!.cpuRatioWithRedis}×`,
  )
  if (perPublishRatios)
    console.log(`${t}: 2 nodes vs 1, one script call per publish = ${show(perPublishRatios[t]!)}`)
}
if (peer) console.log(`socket.io: 2 nodes vs 1 = ${show(peer)}, with Redis's CPU ${peer.cpuRatioWithRedis}×`)
console.log(`uptime after: ${uptimeAfter}`)
const firstRow = results.get(find('hubbub', transports[0]!, 1, false))!.flat()[0]!
console.log(
  JSON.stringify({
    bench: 'redis-fanout',
    members,
    burst,
    textBytes: TEXT.length,
    frameBytes: firstRow.frameLength,
    /** Measured publishes of every trial of every row. */
    publishes,
    /** False when some trial hit the window cap and sent fewer. */
    samePublishes: all.every((r) => r.expected === publishes * members),
    windowMs,
    rounds,
    /** Trials per row: each round runs every row forwards and backwards. */
    trials: rounds * 2,
    floor: FLOOR,
    /** The worst transport's median: what the floor is checked against. */
    cpuRatio2NodeVs1Node: worst,
    withinFloor: worst <= FLOOR,
    transports: byTransport,
    ...(perPublishRatios ? { perPublish: perPublishRatios } : {}),
    ...(peer ? { peer: { name: 'socket.io 4 + @socket.io/redis-adapter (ws)', ...peer } } : {}),
    deliveries: all.reduce((s, r) => s + r.deliveries, 0),
    expectedDeliveries: all.reduce((s, r) => s + r.expected, 0),
    allDelivered: all.every((r) => r.deliveries === r.expected),
    loadAverage: { before: round3(loadBefore, 2), after: round3(loadavg()[0]!, 2) },
    uptime: { before: uptimeBefore, after: uptimeAfter },
    seconds: round3((performance.now() - started) / 1000, 1),
  }),
)
