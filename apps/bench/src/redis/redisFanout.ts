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
 * Flags: --transport=ws,uws  --members=1000  --publishes=N (measured, per trial)  --warmup=N
 *        --window=10000 (ms: a measured window ends after its publishes or this long, whichever first)
 *        --burst=20  --trials=1 (each row keeps its cheapest)  --no-peer (skip Socket.IO)
 *        --redis-core=1 (the core Redis is pinned to; the nodes are on 1, the load generator on 0)
 *        --quick (100 members, a few hundred publishes: a smoke run of seconds)
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
    trials: { type: 'string', default: '1' },
    'no-peer': { type: 'boolean', default: false },
    'redis-core': { type: 'string', default: '1' },
    quick: { type: 'boolean', default: false },
  },
})
const quick = flags.quick
const members = Number(flags.members ?? (quick ? 100 : 1000))
const transports = flags.transport.split(',').filter(Boolean) as TransportName[]
for (const t of transports) if (t !== 'ws' && t !== 'uws') throw new Error(`--transport: ws or uws, not ${t}`)
/** Measured publishes per trial: uws windows need more to rise above a shared machine's noise. */
const publishesFor = (row: RowSpec): number =>
  Number(flags.publishes ?? (quick ? 200 : row.kind === 'hubbub' && row.transport === 'uws' ? 4000 : 1500))
const warmup = Number(flags.warmup ?? (quick ? 40 : 200))
const burst = Number(flags.burst)
const windowMs = Number(flags.window ?? (quick ? 60_000 : 10_000))
const trials = Number(flags.trials)
const FLOOR = 1.2
const TEXT = 'x'.repeat(64)

const label = (r: RowSpec) =>
  `${r.kind === 'sio' ? 'socket.io' : 'hubbub'} ${r.kind === 'sio' ? 'ws' : r.transport} ${r.nodes} node${r.nodes > 1 ? 's' : ''} ${r.redis ? 'on Redis' : 'in memory'}`

const rows: RowSpec[] = []
for (const transport of transports)
  for (const [nodes, redis] of [
    [1, false],
    [1, true],
    [2, true],
  ] as const)
    rows.push({ kind: 'hubbub', transport, nodes, redis })
if (!flags['no-peer'])
  for (const [nodes, redis] of [
    [1, false],
    [1, true],
    [2, true],
  ] as const)
    rows.push({ kind: 'sio', transport: 'ws', nodes, redis })

const started = performance.now()
const loadBefore = loadavg()[0]!
const redis = await startOwnRedis(Number(flags['redis-core']))
const results = new Map<RowSpec, TrialResult[]>(rows.map((r) => [r, []]))
const runId = `bench-redis-${process.pid}`
try {
  for (let t = 0; t < trials; t++) {
    // Reverse the order every other trial, so background load on a shared machine hits all rows alike.
    const order = t % 2 === 0 ? rows : [...rows].reverse()
    for (const row of order) {
      const r = await runTrial(row, {
        members,
        warmup,
        publishes: publishesFor(row),
        maxMs: windowMs,
        burst,
        text: TEXT,
        redis,
        prefix: `${runId}:${t}:${rows.indexOf(row)}`,
        serverCore: 1,
        loadCore: 0,
      })
      results.get(row)!.push(r)
      console.error(
        `  ${label(row)} trial ${t + 1}: ${r.cpuMsPer1M.toFixed(0)} ms CPU / 1M (+ Redis ${r.redisCpuMsPer1M.toFixed(0)}), ` +
          `${Math.round(r.deliveriesPerSec).toLocaleString('en')} deliveries/s, ${r.deliveries}/${r.expected} delivered`,
      )
    }
  }
} finally {
  await redis.stop()
}

const best = (xs: TrialResult[]) => xs.reduce((a, b) => (b.cpuMsPer1M < a.cpuMsPer1M ? b : a))
const bestOf = new Map(rows.map((r) => [r, best(results.get(r)!)]))
const find = (kind: RowSpec['kind'], transport: TransportName, nodes: number, onRedis: boolean) =>
  bestOf.get(
    rows.find(
      (r) => r.kind === kind && r.transport === transport && r.nodes === nodes && r.redis === onRedis,
    )!,
  )!
const round = (x: number, digits = 3) => Number(x.toFixed(digits))

/** The 2-node-vs-1 ratios of one server kind on one transport. */
function ratios(kind: RowSpec['kind'], transport: TransportName) {
  const one = find(kind, transport, 1, false)
  const oneRedis = find(kind, transport, 1, true)
  const two = find(kind, transport, 2, true)
  return {
    cpuMsPer1M: {
      oneNodeMemory: round(one.cpuMsPer1M, 0),
      oneNodeRedis: round(oneRedis.cpuMsPer1M, 0),
      twoNodesRedis: round(two.cpuMsPer1M, 0),
    },
    redisCpuMsPer1M: {
      oneNodeRedis: round(oneRedis.redisCpuMsPer1M, 0),
      twoNodesRedis: round(two.redisCpuMsPer1M, 0),
    },
    /** Redis memory per member once the room is full (2 nodes): presence, registry, the room's keys. */
    redisBytesPerMember: Math.round(two.redisBytesPerMember),
    cpuRatio2NodeVs1Node: round(two.cpuMsPer1M / one.cpuMsPer1M),
    cpuRatioWithRedis: round((two.cpuMsPer1M + two.redisCpuMsPer1M) / one.cpuMsPer1M),
    cpuRatio1NodeRedisVs1Node: round(oneRedis.cpuMsPer1M / one.cpuMsPer1M),
    burstMs: {
      oneNodeMemory: { p50: round(one.burstP50Ms, 2), p99: round(one.burstP99Ms, 2) },
      twoNodesRedis: { p50: round(two.burstP50Ms, 2), p99: round(two.burstP99Ms, 2) },
      /** Added by the Redis path: 2 nodes on Redis minus 1 node in memory. */
      addedP50: round(two.burstP50Ms - one.burstP50Ms, 2),
      addedP99: round(two.burstP99Ms - one.burstP99Ms, 2),
    },
  }
}

const table: string[][] = [
  ['row', 'server CPU ms/1M', 'Redis CPU ms/1M', 'user %', 'deliveries/s', 'delivered', 'burst p50/p99 ms'],
]
for (const row of rows) {
  const r = bestOf.get(row)!
  table.push([
    label(row),
    r.cpuMsPer1M.toFixed(0),
    row.redis ? r.redisCpuMsPer1M.toFixed(0) : '-',
    (r.userShare * 100).toFixed(0),
    Math.round(r.deliveriesPerSec).toLocaleString('en'),
    `${r.deliveries}/${r.expected}`,
    `${r.burstP50Ms.toFixed(1)}/${r.burstP99Ms.toFixed(1)}`,
  ])
}
const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)))
for (const line of table)
  console.log(line.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '))

const byTransport = Object.fromEntries(transports.map((t) => [t, ratios('hubbub', t)]))
const peer = flags['no-peer'] ? undefined : ratios('sio', 'ws')
const worst = Math.max(...transports.map((t) => byTransport[t]!.cpuRatio2NodeVs1Node))
for (const t of transports)
  console.log(
    `${t}: 2 nodes vs 1 = ${byTransport[t]!.cpuRatio2NodeVs1Node}× (floor ≤ ${FLOOR}), with Redis's CPU ${byTransport[t]!.cpuRatioWithRedis}×`,
  )
if (peer)
  console.log(
    `socket.io: 2 nodes vs 1 = ${peer.cpuRatio2NodeVs1Node}×, with Redis's CPU ${peer.cpuRatioWithRedis}×`,
  )
const all = [...bestOf.values(), ...[...results.values()].flat()]
console.log(
  JSON.stringify({
    bench: 'redis-fanout',
    members,
    burst,
    textBytes: TEXT.length,
    frameBytes: find('hubbub', transports[0]!, 1, false).frameLength,
    publishes: Object.fromEntries(rows.map((r) => [label(r), publishesFor(r)])),
    windowMs,
    trials,
    floor: FLOOR,
    /** The worst transport's figure: what the floor is checked against. */
    cpuRatio2NodeVs1Node: worst,
    withinFloor: worst <= FLOOR,
    transports: byTransport,
    ...(peer ? { peer: { name: 'socket.io 4 + @socket.io/redis-adapter (ws)', ...peer } } : {}),
    deliveries: [...results.values()].flat().reduce((s, r) => s + r.deliveries, 0),
    expectedDeliveries: [...results.values()].flat().reduce((s, r) => s + r.expected, 0),
    allDelivered: all.every((r) => r.deliveries === r.expected),
    loadAverage: { before: round(loadBefore, 2), after: round(loadavg()[0]!, 2) },
    seconds: round((performance.now() - started) / 1000, 1),
  }),
)
