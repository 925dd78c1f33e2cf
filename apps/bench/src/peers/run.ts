import { mkdirSync, writeFileSync } from 'node:fs'
import { hostname, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PinnedChild } from '../server/PinnedChild.js'
import { memoryAfterGc } from './memory.js'
import { nodesOptionsFromEnv, runNodes } from './nodes.js'
import { type Peer, peerNames, peers, versionOf } from './peers.js'
import { cpuSeconds } from './procStat.js'
import { ratios, renderMarkdown, renderSvg } from './report.js'
import { churnRow, fanoutRow } from './rows.js'
import type { ChurnRow, ChurnStep, FanoutRow, JoinRow, PeerSummary, Results, Step } from './types.js'

/**
 * The peer bench: every peer server (peers.ts) in its own process on the server core, the load
 * generator (generator.ts) in one or more processes on the other core, the same scenarios for all:
 *  - join: connect and join `joinConns` clients into `joinRooms` rooms (the join path), then the
 *    settled RSS / heap per idle connection and the join time of one more client;
 *  - fanout: 1 room × N members, one member publishes at stepped open-loop rates until a step
 *    loses a message or its p99 passes 50 ms;
 *  - rooms: R rooms × M members, every member publishes (the chat path), stepped rates.
 * Options: --quick, --tiny (smoke-test sizes), --peers=a,b, --scenarios=join,fanout,rooms,
 * --runs=N (paired order A B … B A, median kept), --gens=N, --latency-every=N, --latency-samples=N,
 * --burst-ms=N (fan-out bursts, default 10), --p99=ms, --out=dir; BENCH_GEN_PROF=dir and
 * BENCH_SERVER_PROF=dir write CPU profiles of the generator and server processes there.
 * BENCH_SERVER_FLAGS: extra node flags for every peer server (e.g. `--trace-gc`).
 */
const here = dirname(fileURLToPath(import.meta.url))
const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=')
    return [k!, v ?? 'true'] as const
  }),
)
const mode = args.has('tiny') ? 'tiny' : args.has('quick') ? 'quick' : 'full'
const presets = {
  full: {
    runs: 2,
    join: { conns: 10_000, rooms: 100 },
    fanout: {
      members: [100, 1_000, 10_000],
      rates: [
        50e3, 100e3, 150e3, 200e3, 300e3, 400e3, 600e3, 800e3, 1.2e6, 1.6e6, 2.4e6, 3.2e6, 4.8e6, 6.4e6,
        9.6e6, 12.8e6,
      ],
    },
    // each member publishes: 0.25 messages/s needs a 4 s window to hold one of each
    rooms: { rooms: 1_000, members: 10, rates: [0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 3, 5, 10], durMs: 4_000 },
    churn: { rooms: 100, rates: [100, 300, 1_000, 2_000, 4_000, 8_000], warmMs: 500, durMs: 1_500 },
    // two runs of six peers and the 6-node scenario in 25 minutes
    warmMs: 500,
    durMs: 2_500,
    settleMs: 1_000,
  },
  quick: {
    runs: 1,
    join: { conns: 10_000, rooms: 100 },
    fanout: {
      members: [1_000],
      rates: [
        100e3, 150e3, 200e3, 300e3, 400e3, 600e3, 800e3, 1.2e6, 1.6e6, 2.4e6, 3.2e6, 4.8e6, 6.4e6, 9.6e6,
      ],
    },
    rooms: { rooms: 1_000, members: 10, rates: [0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 3], durMs: 4_000 },
    churn: { rooms: 100, rates: [100, 300, 1_000, 3_000], warmMs: 500, durMs: 1_000 },
    warmMs: 500,
    durMs: 2_000,
    settleMs: 1_000,
  },
  tiny: {
    runs: 1,
    join: { conns: 40, rooms: 4 },
    fanout: { members: [20], rates: [2_000, 4_000] },
    rooms: { rooms: 4, members: 5, rates: [20] },
    churn: { rooms: 4, rates: [20, 40], warmMs: 200, durMs: 500 },
    warmMs: 200,
    durMs: 500,
    settleMs: 100,
    // a smoke check counts messages; latency on a loaded test machine is not judged
    p99LimitMs: 60_000,
  },
}
const preset = presets[mode]
const runs = Number(args.get('runs') ?? preset.runs)
const gens = Number(args.get('gens') ?? 1)
const selected = (args.get('peers') ?? peerNames.join(',')).split(',').filter(Boolean)
const scenarios = new Set(
  (
    args.get('scenarios') ?? (mode === 'full' ? 'join,fanout,rooms,churn,nodes' : 'join,fanout,rooms,churn')
  ).split(','),
)
// Every message is counted; the latency of every n-th (parsing its send time and recording it cost
// the generator), n at least --latency-every and large enough that a step records about
// --latency-samples deliveries' latencies (plenty for a p99.9).
const latencyEvery = Number(args.get('latency-every') ?? (mode === 'tiny' ? 1 : 4))
const latencySamples = Number(args.get('latency-samples') ?? 250_000)
const sampleEvery = (offered: number, durMs: number) =>
  Math.max(latencyEvery, Math.floor((offered * durMs) / 1000 / latencySamples))
// Fan-out publishes leave in bursts every 10 ms (generator.ts, `burstMs`): a server that writes a
// burst's frames to a member at once costs the generator one read per member per burst, which is
// what lets one generator core see past a few million deliveries/s. The many-rooms scenario sends
// every message on its own schedule (each member publishes, its own phase).
const burstMs = Number(args.get('burst-ms') ?? 10)
const outDir = args.get('out') ?? join(here, '../../results')
const SERVER_CORE = 0
const GEN_CORE = 1
const P99_LIMIT_MS = Number(args.get('p99') ?? ('p99LimitMs' in preset ? preset.p99LimitMs : 50))
const PAYLOAD = 64

for (const name of selected)
  if (!peers[name]) throw new Error(`unknown peer ${name} (known: ${peerNames.join(', ')})`)

const progress = (line: string) =>
  process.stderr.write(`[peers ${new Date().toISOString().slice(11, 19)}] ${line}\n`)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const median = (xs: number[]) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  return s.length === 0
    ? Number.NaN
    : s.length % 2
      ? s[(s.length - 1) / 2]!
      : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

interface Server {
  child: PinnedChild
  pid: number
  port: number
}

async function startServer(name: string): Promise<Server> {
  const prof = process.env.BENCH_SERVER_PROF
  const child = new PinnedChild(
    SERVER_CORE,
    join(here, 'peerServer.ts'),
    [name],
    [
      '--expose-gc',
      ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []),
      ...(process.env.BENCH_SERVER_FLAGS?.split(' ').filter(Boolean) ?? []),
    ],
  )
  const { port } = await child.next<{ port: number }>('listening')
  return { child, pid: child.child.pid!, port }
}

function startGens(n: number): PinnedChild[] {
  return Array.from(
    { length: n },
    () =>
      new PinnedChild(
        GEN_CORE,
        join(here, 'generator.ts'),
        [],
        process.env.BENCH_GEN_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_GEN_PROF}`] : [],
      ),
  )
}

/** Deals `conns` (global ids with their room) over the generators in contiguous blocks. */
function deal<T>(items: T[], n: number): T[][] {
  const per = Math.ceil(items.length / n)
  return Array.from({ length: n }, (_, g) => items.slice(g * per, (g + 1) * per))
}

async function connect(
  server: Server,
  peer: Peer,
  gs: PinnedChild[],
  conns: Array<{ user: number; room: string }>,
) {
  const blocks = deal(conns, gs.length)
  const t0 = performance.now()
  await Promise.all(
    gs.map((g, i) =>
      g.request(
        {
          type: 'connect',
          port: server.port,
          wire: peer.wire,
          conns: blocks[i],
          inFlight: Math.max(1, Math.ceil(100 / gs.length)),
          size: PAYLOAD,
        },
        'connected',
      ),
    ),
  )
  return { ms: performance.now() - t0, blocks }
}

/**
 * What one peer's scenarios share: the generator processes (reset between scenarios) and, in tiny
 * mode only (a smoke check, not a measurement), one server for all scenarios; otherwise each
 * scenario gets a fresh server.
 */
interface Session {
  name: string
  gs: PinnedChild[]
  shared?: Server
}

/** Unique user names across a session's scenarios (a server may still hold a closed user's presence). */
let nextUser = 0

async function withServer<T>(session: Session, body: (server: Server) => Promise<T>): Promise<T> {
  const server = session.shared ?? (await startServer(session.name))
  try {
    return await body(server)
  } finally {
    await Promise.all(session.gs.map((g) => g.request({ type: 'reset' }, 'reset')))
    if (!session.shared) await server.child.stop()
  }
}

async function joinScenario(session: Session): Promise<JoinRow> {
  const { name, gs } = session
  const peer = peers[name]!
  return withServer(session, async (server) => {
    const base = await memoryAfterGc(server)
    const { conns, rooms } = preset.join
    const list = Array.from({ length: conns }, (_, id) => ({ user: nextUser++, room: `j${id % rooms}` }))
    const cpu0 = cpuSeconds(server.pid)
    const { ms } = await connect(server, peer, gs, list)
    const serverCpuS = cpuSeconds(server.pid) - cpu0
    const mem = await memoryAfterGc(server)
    const one = await gs[0]!.request<{ ms: number }>({ type: 'one', room: 'j0', user: nextUser++ }, 'one')
    const row: JoinRow = {
      conns,
      rooms,
      ms,
      joinsPerSecond: conns / (ms / 1000),
      serverCpuS,
      rssPerConnKiB: (mem.rss - base.rss) / conns / 1024,
      heapPerConnKiB: (mem.heapUsed - base.heapUsed) / conns / 1024,
      oneMoreJoinMs: one.ms,
    }
    progress(
      `${name} join: ${conns} in ${ms.toFixed(0)} ms, RSS ${row.rssPerConnKiB.toFixed(2)} KiB/conn, one more ${one.ms.toFixed(1)} ms`,
    )
    return row
  })
}

/**
 * Stepped open-loop load on `rooms` rooms of `members`, `pubsPerRoom` publishers each (the first
 * members), each step's offered rate given as deliveries/s, publishes in bursts every `burst` ms (0:
 * each on its own schedule); stops after the first unclean step.
 */
async function steppedLoad(
  session: Session,
  label: string,
  rooms: number,
  members: number,
  pubsPerRoom: number,
  deliveryRates: number[],
  burst = 0,
  durMs = preset.durMs,
): Promise<Step[]> {
  const { name, gs } = session
  const peer = peers[name]!
  const steps: Step[] = []
  const prefix = `${label.replace(/[^A-Za-z0-9]/g, '')}-`
  return withServer(session, async (server) => {
    const list = Array.from({ length: rooms * members }, (_, id) => ({
      user: nextUser++,
      room: `${prefix}${Math.floor(id / members)}`,
    }))
    const { blocks } = await connect(server, peer, gs, list)
    await sleep(preset.settleMs) // the join presence storm of a filling room passes
    const per = blocks[0]!.length
    const publishers = blocks.map((block, g) =>
      block.flatMap((c, local) => {
        const id = g * per + local
        return id % members < pubsPerRoom
          ? [{ conn: local, pubId: Math.floor(id / members) * pubsPerRoom + (id % members), room: c.room }]
          : []
      }),
    )
    const totalPublishers = rooms * pubsPerRoom
    for (const offered of deliveryRates) {
      const rate = offered / members / totalPublishers // messages/s per publisher
      const startUs = Math.round((performance.timeOrigin + performance.now()) * 1000) + 200_000
      const winStartMs = startUs / 1000 - performance.timeOrigin - performance.now() + preset.warmMs
      const cpu: number[] = []
      const timers = [winStartMs, winStartMs + durMs].map((at) =>
        setTimeout(() => cpu.push(cpuSeconds(server.pid)), at),
      )
      const results = await Promise.all(
        gs.map((g, i) =>
          g.request<GenResult>(
            {
              type: 'load',
              publishers: publishers[i],
              pubsPerRoom,
              rate,
              warmMs: preset.warmMs,
              durMs,
              startUs,
              latencyEvery: sampleEvery(offered, durMs),
              burstMs: burst,
              membersHere: gs.length === 1 ? members : 0,
            },
            'loaded',
          ),
        ),
      )
      for (const t of timers) clearTimeout(t)
      // the generators answer as soon as the window's messages are in, which can beat the end timer
      if (cpu.length === 1) cpu.push(cpuSeconds(server.pid))
      const expected = results.reduce((s, r) => s + r.sentInWindow, 0) * members
      const inWindow = results.reduce((s, r) => s + r.inWindow, 0)
      const dups = results.reduce((s, r) => s + r.dups, 0)
      const lost = Math.max(0, expected - (inWindow - dups))
      const p99Ms = Math.max(...results.map((r) => r.p99Ms))
      const genCpuShare = Math.max(...results.map((r) => r.cpuShare))
      const serverCpuS = cpu.length === 2 ? cpu[1]! - cpu[0]! : Number.NaN
      const step: Step = {
        offered,
        // the window is whole messages per publisher: at a slow rate it is not exactly durMs long
        achieved: inWindow / (results[0]!.windowSeqs / rate),
        expected,
        delivered: inWindow,
        lost,
        dups,
        p50Ms: Math.max(...results.map((r) => r.p50Ms)),
        p99Ms,
        p999Ms: Math.max(...results.map((r) => r.p999Ms)),
        maxMs: Math.max(...results.map((r) => r.maxMs)),
        serverCpuS,
        serverCoreShare: serverCpuS / (durMs / 1000),
        cpuSPer1M: inWindow > 0 ? serverCpuS / (inWindow / 1e6) : Number.NaN,
        genCpuShare,
        genStalls: results.reduce((s, r) => s + r.stalls, 0),
        latencySamples: results.reduce((s, r) => s + r.samples, 0),
        clean: expected > 0 && lost === 0 && dups === 0 && p99Ms <= P99_LIMIT_MS,
        clientBound: genCpuShare >= 0.9 || results.some((r) => r.stalls > 0),
      }
      // error frames outside a handshake (a refused publish) explain a step's losses
      const refusals = results.reduce((n, r) => n + r.refusals, 0)
      if (refusals > 0)
        progress(
          `${name} ${label} @${fmt(offered)}/s: ${refusals} publishes refused, first: ${results.find((r) => r.firstRefusal)?.firstRefusal}`,
        )
      steps.push(step)
      progress(
        `${name} ${label} @${fmt(offered)}/s: ${fmt(step.achieved)}/s, lost ${lost}, dup ${dups}, p99 ${p99Ms.toFixed(1)} ms, ` +
          `server ${(step.serverCoreShare * 100).toFixed(0)}% core, generator ${(genCpuShare * 100).toFixed(0)}% (sys ${(Math.max(...results.map((r) => r.sysShare)) * 100).toFixed(0)}%)${step.clientBound ? ' (client-bound)' : ''}`,
      )
      if (!step.clean) break
    }
    return steps
  })
}

interface GenResult {
  sentInWindow: number
  /** Messages per publisher in the measured window. */
  windowSeqs: number
  inWindow: number
  dups: number
  stalls: number
  refusals: number
  firstRefusal?: string
  cpuShare: number
  /** The part of `cpuShare` spent in the kernel (reads, writes, TCP). */
  sysShare: number
  p50Ms: number
  p99Ms: number
  p999Ms: number
  maxMs: number
  samples: number
}

const fmt = (n: number) =>
  n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(0)}k` : n.toFixed(0)

interface ChurnResult {
  cycles: number
  joined: number
  completed: number
  failed: number
  skipped: number
  peakOpen: number
  errors: Record<string, number>
  cpuShare: number
  p50Ms: number
  p99Ms: number
  p999Ms: number
  maxMs: number
  samples: number
}

/** Churn sockets one generator process may hold at once (the per-process file limit is 20,000). */
const CHURN_MAX_OPEN = 15_000

/**
 * Churn: open-loop cycles of connect, hello, join (answered), leave and close at stepped rates
 * (spread over the generator processes), into `rooms` rooms in turn; stops after the first step
 * that loses a cycle, falls short of 95% of its offered rate or passes the p99 limit.
 */
async function churnScenario(session: Session): Promise<ChurnRow> {
  const { name, gs } = session
  const peer = peers[name]!
  const { rooms, rates, warmMs, durMs } = preset.churn
  return withServer(session, async (server) => {
    const steps: ChurnStep[] = []
    for (const offered of rates) {
      const startUs = Math.round((performance.timeOrigin + performance.now()) * 1000) + 200_000
      const winStartMs = startUs / 1000 - performance.timeOrigin - performance.now() + warmMs
      const cpu: number[] = []
      const timers = [winStartMs, winStartMs + durMs].map((at) =>
        setTimeout(() => cpu.push(cpuSeconds(server.pid)), at),
      )
      const userBase = nextUser
      nextUser += 10_000_000
      const results = await Promise.all(
        gs.map((g, i) =>
          g.request<ChurnResult>(
            {
              type: 'churn',
              port: server.port,
              wire: peer.wire,
              rate: offered / gs.length,
              warmMs,
              durMs,
              startUs,
              rooms,
              roomPrefix: 'churn',
              userBase: userBase + i * 1_000_000,
              maxOpen: CHURN_MAX_OPEN,
              timeoutMs: 10_000,
            },
            'churned',
          ),
        ),
      )
      for (const t of timers) clearTimeout(t)
      if (cpu.length === 1) cpu.push(cpuSeconds(server.pid))
      const sum = (k: keyof ChurnResult) => results.reduce((s, r) => s + Number(r[k]), 0)
      const maxOf = (k: keyof ChurnResult) => Math.max(...results.map((r) => Number(r[k])))
      const serverCpuS = cpu.length === 2 ? cpu[1]! - cpu[0]! : Number.NaN
      const cycles = sum('cycles')
      const completed = sum('completed')
      const achieved = completed / (durMs / 1000)
      const p99Ms = maxOf('p99Ms')
      const genCpuShare = maxOf('cpuShare')
      const errors: Record<string, number> = {}
      for (const r of results) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v
      const step: ChurnStep = {
        offered,
        achieved,
        cycles,
        joined: sum('joined'),
        completed,
        failed: sum('failed'),
        skipped: sum('skipped'),
        peakOpen: maxOf('peakOpen'),
        p50Ms: maxOf('p50Ms'),
        p99Ms,
        p999Ms: maxOf('p999Ms'),
        maxMs: maxOf('maxMs'),
        latencySamples: sum('samples'),
        serverCpuS,
        serverCoreShare: serverCpuS / (durMs / 1000),
        genCpuShare,
        clean: cycles > 0 && completed === cycles && achieved >= 0.95 * offered && p99Ms <= P99_LIMIT_MS,
        clientBound: genCpuShare >= 0.9,
        errors,
      }
      steps.push(step)
      progress(
        `${name} churn @${fmt(offered)}/s: ${fmt(achieved)}/s completed (${completed}/${cycles}, failed ${step.failed}, skipped ${step.skipped}), ` +
          `join p99 ${p99Ms.toFixed(1)} ms, server ${(step.serverCoreShare * 100).toFixed(0)}% core, generator ${(genCpuShare * 100).toFixed(0)}%${step.clientBound ? ' (client-bound)' : ''}`,
      )
      if (!step.clean) break
    }
    return churnRow(steps, rooms)
  })
}

async function runPeer(name: string): Promise<PeerSummary> {
  const summary: PeerSummary = { peer: name, label: peers[name]!.label, fanout: {} }
  const session: Session = { name, gs: generators }
  if (mode === 'tiny') session.shared = await startServer(name)
  try {
    if (scenarios.has('join')) summary.join = await joinScenario(session)
    if (scenarios.has('fanout'))
      for (const members of preset.fanout.members) {
        const rates = preset.fanout.rates.filter((r) => r / members <= 200_000) // ≤ 200k publishes/s
        summary.fanout[members] = fanoutRow(
          await steppedLoad(session, `fan-out ×${members}`, 1, members, 1, rates, burstMs),
          members,
        )
      }
    if (scenarios.has('rooms')) summary.rooms = await manyRooms(session)
    if (scenarios.has('churn')) summary.churn = await churnScenario(session)
  } finally {
    await session.shared?.child.stop()
  }
  return summary
}

async function manyRooms(session: Session): Promise<FanoutRow> {
  const { rooms, members, rates } = preset.rooms
  const steps = await steppedLoad(
    session,
    `${rooms} rooms ×${members}`,
    rooms,
    members,
    members,
    rates.map((r) => r * rooms * members * members),
    0,
    'durMs' in preset.rooms ? preset.rooms.durMs : preset.durMs,
  )
  return fanoutRow(steps, members, rooms)
}

/** The median of each figure over the runs (the steps kept are those of the median-throughput run). */
function combine(runsOfPeer: PeerSummary[]): PeerSummary {
  if (runsOfPeer.length === 1) return runsOfPeer[0]!
  const first = runsOfPeer[0]!
  const med = <T>(pick: (s: PeerSummary) => T | undefined, key: keyof T & string) =>
    median(runsOfPeer.map((s) => Number((pick(s) as Record<string, unknown> | undefined)?.[key])))
  const combineRow = (pick: (s: PeerSummary) => FanoutRow | undefined): FanoutRow | undefined => {
    const rows = runsOfPeer.map(pick).filter((r): r is FanoutRow => r !== undefined)
    if (rows.length === 0) return undefined
    const sorted = [...rows].sort((a, b) => a.maxCleanPerSecond - b.maxCleanPerSecond)
    const mid = sorted[Math.floor((sorted.length - 1) / 2)]!
    return {
      ...mid,
      maxCleanPerSecond: median(rows.map((r) => r.maxCleanPerSecond)),
      cpuSPer1MAtReference: median(rows.map((r) => r.cpuSPer1MAtReference)),
      serverSaturated: rows.every((r) => r.serverSaturated),
      clientTrusted: rows.every((r) => r.clientTrusted),
    }
  }
  const out: PeerSummary = { peer: first.peer, label: first.label, fanout: {} }
  if (first.join) {
    const j = (k: keyof JoinRow & string) => med<JoinRow>((s) => s.join, k)
    out.join = {
      ...first.join,
      ms: j('ms'),
      joinsPerSecond: j('joinsPerSecond'),
      serverCpuS: j('serverCpuS'),
      rssPerConnKiB: j('rssPerConnKiB'),
      heapPerConnKiB: j('heapPerConnKiB'),
      oneMoreJoinMs: j('oneMoreJoinMs'),
    }
  }
  for (const members of Object.keys(first.fanout)) {
    const row = combineRow((s) => s.fanout[Number(members)])
    if (row) out.fanout[Number(members)] = row
  }
  const rooms = combineRow((s) => s.rooms)
  if (rooms) out.rooms = rooms
  const churns = runsOfPeer.map((s) => s.churn).filter((c): c is ChurnRow => c !== undefined)
  if (churns.length > 0) {
    const mid = [...churns].sort((a, b) => a.maxCleanPerSecond - b.maxCleanPerSecond)[
      Math.floor((churns.length - 1) / 2)
    ]!
    out.churn = {
      ...mid,
      maxCleanPerSecond: median(churns.map((c) => c.maxCleanPerSecond)),
      serverSaturated: churns.every((c) => c.serverSaturated),
      clientTrusted: churns.every((c) => c.clientTrusted),
    }
  }
  return out
}

const started = new Date()
progress(
  `mode ${mode}, peers ${selected.join(', ')}, ${runs} run(s), load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
)
const perPeer = new Map<string, PeerSummary[]>(selected.map((n) => [n, []]))
// One set of generator processes for the whole run; each scenario closes its connections.
const generators = startGens(gens)
for (let r = 0; r < runs; r++) {
  // paired order: A B … then … B A, so slow drift of the machine cancels out
  const order = r % 2 === 0 ? selected : [...selected].reverse()
  for (const name of order) perPeer.get(name)!.push(await runPeer(name))
}
await Promise.all(generators.map((g) => g.stop()))
// Hubbub on several nodes sharing Redis: full mode only (or --scenarios=nodes), after the peers
const nodes = scenarios.has('nodes')
  ? await runNodes({
      ...nodesOptionsFromEnv(mode === 'tiny'),
      warmMs: preset.warmMs,
      durMs: preset.durMs,
      latencyEvery,
      payload: PAYLOAD,
      p99LimitMs: P99_LIMIT_MS,
      serverCore: SERVER_CORE,
      genCore: GEN_CORE,
      progress,
    })
  : undefined
const summaries = selected.map((n) => combine(perPeer.get(n)!))
const results: Results = {
  bench: 'peers',
  mode,
  date: started.toISOString(),
  host: hostname(),
  loadAverage: loadavg(),
  loaded: loadavg()[0]! > 1.5,
  node: process.version,
  cores: { server: SERVER_CORE, generator: GEN_CORE },
  generators: gens,
  payloadBytes: PAYLOAD,
  latencyEvery,
  p99LimitMs: P99_LIMIT_MS,
  windowMs: { warmup: preset.warmMs, measured: preset.durMs },
  runs,
  versions: Object.fromEntries(
    [...new Set(selected.flatMap((n) => peers[n]!.packages))].map((p) => [p, versionOf(p)]),
  ),
  peers: summaries,
  ...(nodes ? { nodes } : {}),
  ratios: {} as Results['ratios'],
}
results.ratios = ratios(results)
mkdirSync(outDir, { recursive: true })
const stem = `${started.toISOString().slice(0, 16).replace(':', '')}-${hostname()}`
const files = {
  json: join(outDir, `${stem}.json`),
  md: join(outDir, `${stem}.md`),
  svg: join(outDir, `${stem}.svg`),
}
const markdown = renderMarkdown(results)
writeFileSync(files.json, `${JSON.stringify(results, null, 2)}\n`)
writeFileSync(files.md, markdown)
writeFileSync(files.svg, renderSvg(results))
process.stdout.write(`${markdown}\n`)
progress(`wrote ${files.json}, ${files.md}, ${files.svg}`)
process.stdout.write(`${JSON.stringify({ ...results.ratios, files })}\n`)
process.exit(0)
