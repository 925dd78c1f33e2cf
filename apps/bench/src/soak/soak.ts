import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import WebSocket from 'ws'
import { rssBytes } from '../peers/procStat.js'
import type { TransportName } from '../server/benchTransport.js'
import { PinnedChild } from '../server/PinnedChild.js'
import { StreamCheck } from './checker.js'

/**
 * Soak: `pnpm soak --minutes N [--transport uws]` (not part of `pnpm test`). The full
 * server in its own process pinned to core 0, and two kinds of load beside each other:
 *  - fan-out: the peer bench's load generator (`../peers/generator.ts`, pinned to core 1)
 *    holds `--members` (1,000) members of one room, one of them publishing open-loop at
 *    half the server's maximum clean fan-out rate (deliveries/s). That maximum is found first
 *    by the quick bench's stepped search (same rates, windows and p99 limit, on a throwaway
 *    server process), unless `--load <deliveries/s>` gives the soak's rate directly. The
 *    generator counts every delivery of the whole run; any loss or duplicate fails the soak;
 *  - exact checking under churn: per room of `--rooms`, one publisher sending
 *    `publisher#seq` at `--rate` messages/s and `--stayers` members who stay to the end, plus
 *    `--churners` workers that connect, join 1–3 rooms, stay 0.2–2 s and go (a leave, a close
 *    or a TCP terminate, in turn); every stayer must get every message once and in order.
 * Every `--every` (30) seconds it prints the server's RSS and heap (after a full GC; RSS from
 * /proc and no heap when the server is too far behind to answer within 5 s). PASS:
 * nothing lost, duplicated or reordered, and RSS grew < `--max-growth` % from the first
 * sample after the first minute to the last (a run under 2 minutes takes its baseline at
 * half-time). The last line is one JSON object with the series and the load.
 */
const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    transport: { type: 'string', default: 'ws' },
    rooms: { type: 'string', default: '10' },
    rate: { type: 'string', default: '20' },
    stayers: { type: 'string', default: '5' },
    churners: { type: 'string', default: '20' },
    every: { type: 'string', default: '30' },
    'max-growth': { type: 'string', default: '10' },
    load: { type: 'string' },
    members: { type: 'string', default: '1000' },
    // the quick bench's fan-out steps (deliveries/s) and latency limit
    steps: { type: 'string', default: '100000,200000,400000,800000,1600000,3200000,4800000,6400000,9600000' },
    // the fan-out publishes leave in bursts, as in the peer bench (generator.ts, `burstMs`)
    'burst-ms': { type: 'string', default: '10' },
    p99: { type: 'string', default: '50' },
  },
})
const minutes = Number(values.minutes)
const transport = values.transport as TransportName
const rooms = Number(values.rooms)
const rate = Number(values.rate)
const stayersPerRoom = Number(values.stayers)
const churners = Number(values.churners)
const everyMs = Number(values.every) * 1000
const maxGrowth = Number(values['max-growth'])
const members = Number(values.members)
const ladder = values.steps.split(',').map(Number)
const p99Limit = Number(values.p99)
const burstMs = Number(values['burst-ms'])
if (transport !== 'ws' && transport !== 'uws') throw new Error('--transport is ws or uws')
for (const [name, v] of Object.entries({ minutes, members, every: everyMs, load: Number(values.load ?? 1) }))
  if (!(v > 0)) throw new Error(`--${name} must be a positive number`)
if (ladder.some((r) => !(r > 0))) throw new Error('--steps is a list of deliveries/s')

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url))
const SERVER_CORE = 0
const GEN_CORE = 1
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const fmt = (n: number) =>
  n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0)
const load1 = () => loadavg()[0]!.toFixed(1)
const startServer = () => new PinnedChild(SERVER_CORE, here('./soakServer.ts'), [transport], ['--expose-gc'])

/** What the generator answers to `load` (see generator.ts). */
interface GenResult {
  sentInWindow: number
  sent: number
  inWindow: number
  dups: number
  gaps: number
  stalls: number
  cpuShare: number
  p50Ms: number
  p99Ms: number
  maxMs: number
}

const generator = new PinnedChild(GEN_CORE, here('../peers/generator.ts'))
const FAN_ROOM = 'fan'

/** The generator's members of the fan-out room (its connection 0 publishes). */
async function fanMembers(port: number): Promise<void> {
  const conns = Array.from({ length: members }, (_, i) => ({ user: 1_000_000 + i, room: FAN_ROOM }))
  await generator.request(
    { type: 'connect', port, wire: 'hubbub', conns, inFlight: 100, size: 64 },
    'connected',
  )
}

/** Open-loop fan-out at `offered` deliveries/s: `warmMs` not counted, then `durMs` counted. */
function fanLoad(offered: number, warmMs: number, durMs: number): Promise<GenResult> {
  const startUs = Math.round((performance.timeOrigin + performance.now()) * 1000) + 200_000
  return generator.request<GenResult>(
    {
      type: 'load',
      publishers: [{ conn: 0, pubId: 0, room: FAN_ROOM }],
      pubsPerRoom: 1,
      rate: offered / members,
      warmMs,
      durMs,
      startUs,
      // about 250,000 latency samples per window, as in the peer bench
      latencyEvery: Math.max(4, Math.floor((offered * durMs) / 1000 / 250_000)),
      burstMs,
      membersHere: members,
    },
    'loaded',
  )
}

const lostOf = (r: GenResult) => Math.max(0, r.sentInWindow * members - (r.inWindow - r.dups))

/**
 * Waits until the presence storm of the room filling up has passed: a light load (10 messages/s,
 * 1 s) until its p99 is within the limit (at most 20 tries). On a busy machine that takes longer
 * than the quick bench's fixed 1 s pause, and a search started before it measures the backlog.
 */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const r = await fanLoad(10 * members, 0, 1000)
    if (r.p99Ms <= p99Limit && lostOf(r) === 0) return
    console.log(
      `settling: p99 ${r.p99Ms.toFixed(0)} ms at 10 messages/s (the joins' presence frames still queued)`,
    )
  }
}

interface SearchStep {
  offered: number
  achieved: number
  lost: number
  dup: number
  p99Ms: number
  generatorCpuShare: number
}

/**
 * The quick bench's search on a throwaway server: stepped rates (0.5 s warm-up, 2 s counted)
 * until a step loses or duplicates a message or its p99 passes the limit; answers the highest
 * clean step's delivered/s. When even the first step is not clean (a busy machine), it halves
 * the rate down to 1/16 of the first step until one is, and says so.
 */
async function searchMax(): Promise<{
  maxClean: number
  ceiling: boolean
  below: boolean
  steps: SearchStep[]
}> {
  const probe = startServer()
  const { port } = await probe.next<{ port: number }>('listening')
  await fanMembers(port)
  await settle()
  const steps: SearchStep[] = []
  const step = async (offered: number) => {
    const r = await fanLoad(offered, 500, 2000)
    const s: SearchStep = {
      offered,
      achieved: r.inWindow / 2,
      lost: lostOf(r),
      dup: r.dups,
      p99Ms: +r.p99Ms.toFixed(1),
      generatorCpuShare: +r.cpuShare.toFixed(2),
    }
    steps.push(s)
    const clean = r.sentInWindow > 0 && s.lost === 0 && s.dup === 0 && s.p99Ms <= p99Limit
    const bound = r.cpuShare >= 0.9 || r.stalls > 0
    console.log(
      `search @${fmt(offered)}/s: ${fmt(s.achieved)}/s, lost ${s.lost}, dup ${s.dup}, p99 ${s.p99Ms.toFixed(1)} ms, ` +
        `generator ${(r.cpuShare * 100).toFixed(0)}%${bound ? ' (client-bound)' : ''}, load average ${load1()}` +
        `${clean ? '' : ' — not clean'}`,
    )
    return { clean, bound, achieved: s.achieved }
  }
  let maxClean = 0
  let ceiling = false
  let below = false
  for (const offered of ladder.filter((r) => r / members <= 200_000)) {
    const r = await step(offered)
    if (!r.clean) {
      // the server's ceiling only when the generator had headroom at the failing step (as quick says)
      ceiling = !r.bound
      break
    }
    maxClean = r.achieved
  }
  if (maxClean === 0)
    for (let offered = ladder[0]! / 2; offered >= ladder[0]! / 16; offered /= 2) {
      below = true
      const r = await step(offered)
      if (r.clean) {
        maxClean = r.achieved
        break
      }
    }
  await generator.request({ type: 'reset' }, 'reset')
  await probe.stop()
  return { maxClean, ceiling, below, steps }
}

let searched: Awaited<ReturnType<typeof searchMax>> | undefined
let offered: number
if (values.load !== undefined) offered = Number(values.load)
else {
  console.log(
    `soak: finding the maximum clean fan-out rate (1 room × ${members}, ${transport}), load average ${load1()}`,
  )
  searched = await searchMax()
  if (searched.maxClean === 0) {
    console.log(
      `FAIL: no clean step down to ${fmt(ladder[0]! / 16)}/s; give --load <deliveries/s> to soak anyway`,
    )
    await generator.stop()
    process.exit(1)
  }
  offered = searched.maxClean / 2
  console.log(
    `max clean ${fmt(searched.maxClean)} deliveries/s${searched.below ? ` (below the quick bench's first step, ${fmt(ladder[0]!)}/s: ${searched.ceiling ? 'a busy machine or a slow server' : "the generator was the bottleneck there, so this is not the server's ceiling"})` : searched.ceiling ? '' : " (not the server's ceiling: the generator was the bottleneck or the top step was clean)"}; soaking at half: ${fmt(offered)}/s`,
  )
}

const server = startServer()
const { port } = await server.next<{ port: number }>('listening')
const url = `ws://127.0.0.1:${port}/ws`
let names = 0

/** A connection that has joined `roomIds`; `onMessage` sees each room message's text. */
async function member(roomIds: string[], onMessage?: (roomId: string, text: string) => void) {
  const ws = new WebSocket(url)
  ws.on('error', () => {})
  const joined = new Set<string>()
  let ready: () => void = () => {}
  const allJoined = new Promise<void>((r) => {
    ready = r
  })
  ws.on('message', (data) => {
    const f = JSON.parse(String(data)) as { type: string; roomId?: string; text?: string }
    if (f.type === 'joined' && f.roomId) {
      joined.add(f.roomId)
      if (joined.size === roomIds.length) ready()
    } else if (f.type === 'message' && f.roomId && f.text !== undefined) onMessage?.(f.roomId, f.text)
  })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  const username = `u${names++}`
  for (const roomId of roomIds) ws.send(JSON.stringify({ type: 'join', roomId, username }))
  await allJoined
  return ws
}

const roomIds = Array.from({ length: rooms }, (_, i) => `soak${i}`)
const stayers: { roomId: string; check: StreamCheck }[] = []
for (const roomId of roomIds) {
  for (let i = 0; i < stayersPerRoom; i++) {
    const check = new StreamCheck()
    stayers.push({ roomId, check })
    await member([roomId], (r, text) => {
      if (r === roomId) check.take(text)
    })
  }
}
const publishers = await Promise.all(roomIds.map((roomId) => member([roomId])))
const sent = roomIds.map(() => 0)
await fanMembers(port)
await settle()

const durMs = minutes * 60_000
const fanning = fanLoad(offered, 0, durMs)
const endAt = Date.now() + durMs
let running = true
let churned = 0

const publishing = (async () => {
  const start = performance.now()
  let due = 0
  while (running) {
    // follow the clock: a late timer sends what is due, so the offered rate holds
    const target = Math.floor(((performance.now() - start) / 1000) * rate)
    for (; due < target; due++) {
      for (const [i, ws] of publishers.entries()) {
        ws.send(JSON.stringify({ type: 'message', roomId: roomIds[i], text: `pub${i}#${sent[i]!}` }))
        sent[i]!++
      }
    }
    await sleep(Math.max(5, 1000 / rate))
  }
})()

const churning = Array.from({ length: churners }, async (_, worker) => {
  for (let i = 0; running; i++) {
    const picks = roomIds.filter(() => Math.random() < 2 / rooms).slice(0, 3)
    const ws = await member(picks.length ? picks : [roomIds[worker % rooms]!]).catch(() => undefined)
    await sleep(200 + Math.random() * 1800)
    if (!ws) continue
    if (i % 3 === 0) {
      for (const roomId of picks) ws.send(JSON.stringify({ type: 'leave', roomId }))
      ws.close()
    } else if (i % 3 === 1) ws.close()
    else ws.terminate()
    churned++
  }
})

const mib = (n: number) => (n / 1048576).toFixed(1)
/** `heapUsed` is null when the server did not answer within 5 s (then RSS is read from /proc). */
const series: { s: number; rss: number; heapUsed: number | null; fanPerSecond: number }[] = []
const serverPid = server.child.pid!
let asked: Promise<{ rss: number; heapUsed: number }> | undefined
const started = Date.now()
console.log(
  `soak: ${transport}, ${minutes} min, fan-out 1 room × ${members} at ${fmt(offered)} deliveries/s (generator on core ${GEN_CORE}, server on core ${SERVER_CORE}); ` +
    `${rooms} rooms × (1 publisher at ${rate}/s + ${stayersPerRoom} stayers), ${churners} churners; load average ${load1()}`,
)
console.log('     s   rss MiB  heap MiB  fan-out/s  fan gaps  stayers got  churned  load avg')
let lastFan = { at: performance.now(), delivered: 0 }
while (Date.now() < endAt) {
  await sleep(Math.min(everyMs, Math.max(0, endAt - Date.now())))
  // a server far behind answers IPC late: then RSS comes from /proc and the question stays asked
  asked ??= server.request<{ rss: number; heapUsed: number }>({ type: 'sample' }, 'sample')
  const answer = await Promise.race([asked, sleep(5000).then(() => undefined)])
  if (answer) asked = undefined
  const sample = answer ?? { rss: rssBytes(serverPid), heapUsed: null }
  const fan = await generator.request<{ sent: number; delivered: number; dups: number; gaps: number }>(
    { type: 'progress' },
    'progress',
  )
  const now = performance.now()
  const fanPerSecond = Math.round((fan.delivered - lastFan.delivered) / ((now - lastFan.at) / 1000))
  lastFan = { at: now, delivered: fan.delivered }
  const s = Math.round((Date.now() - started) / 1000)
  series.push({ s, rss: sample.rss, heapUsed: sample.heapUsed, fanPerSecond })
  const delivered = stayers.reduce((n, x) => n + x.check.delivered, 0)
  console.log(
    `${String(s).padStart(6)} ${mib(sample.rss).padStart(9)} ${(sample.heapUsed === null ? 'late' : mib(sample.heapUsed)).padStart(9)} ${fmt(fanPerSecond).padStart(10)} ` +
      `${String(fan.gaps).padStart(9)} ${String(delivered).padStart(12)} ${String(churned).padStart(8)} ${load1().padStart(9)}`,
  )
}
running = false
await publishing
await Promise.all(churning)
// the generator answers once every message it sent reached every member (or after 10 s more)
const fan = await fanning
const fanLost = lostOf(fan)
const fanSummary = {
  members,
  maxCleanPerSecond: searched?.maxClean ?? null,
  /** The search ended on an unclean step the generator was not the bottleneck of. */
  maxIsServers: searched ? searched.ceiling : null,
  belowQuickSteps: searched ? searched.below : null,
  search: searched?.steps ?? null,
  given: values.load !== undefined,
  offeredPerSecond: Math.round(offered),
  sentPerSecond: Math.round((fan.sent * members) / (durMs / 1000)),
  deliveredPerSecond: Math.round(fan.inWindow / (durMs / 1000)),
  sent: fan.sent,
  expected: fan.sentInWindow * members,
  delivered: fan.inWindow,
  lost: fanLost,
  /** Of `lost`: skipped by a member that got a later message (the rest had not arrived in time). */
  gaps: fan.gaps,
  dup: fan.dups,
  p50Ms: +fan.p50Ms.toFixed(2),
  p99Ms: +fan.p99Ms.toFixed(2),
  maxMs: +fan.maxMs.toFixed(2),
  generatorCpuShare: +fan.cpuShare.toFixed(2),
}

// every stayer must reach the last message of its room (generous: 30 s)
const drainUntil = Date.now() + 30_000
const caughtUp = () =>
  stayers.every(({ roomId, check }) => {
    const i = roomIds.indexOf(roomId)
    return check.seen(`pub${i}`) >= sent[i]! - 1
  })
while (!caughtUp() && Date.now() < drainUntil) await sleep(100)
for (const { roomId, check } of stayers) {
  const i = roomIds.indexOf(roomId)
  check.finish(`pub${i}`, sent[i]!)
}
const lost = stayers.reduce((n, x) => n + x.check.lost, 0)
const disorder = stayers.reduce((n, x) => n + x.check.duplicatedOrReordered, 0)
const delivered = stayers.reduce((n, x) => n + x.check.delivered, 0)

const baselineAt = Math.min(60, (minutes * 60) / 2)
const baseline = series.find((x) => x.s >= baselineAt) ?? series[0]
const last = series.at(-1)
const growth = baseline && last ? ((last.rss - baseline.rss) / baseline.rss) * 100 : 0
const heaps = series.filter((x) => x.s >= (baseline?.s ?? 0) && x.heapUsed !== null)
const heap0 = heaps[0]?.heapUsed ?? 0
const heapGrowth = heaps.length > 1 ? ((heaps.at(-1)!.heapUsed! - heap0) / heap0) * 100 : 0
const pass = lost === 0 && disorder === 0 && fanLost === 0 && fan.dups === 0 && growth < maxGrowth
console.log(
  `fan-out: offered ${fmt(offered)}/s, sent ${fan.sent} × ${members} members, delivered ${fan.inWindow} (${fmt(fanSummary.deliveredPerSecond)}/s), ` +
    `lost ${fanLost} (skipped: ${fan.gaps}; not arrived within 10 s of the end: ${fanLost - fan.gaps}), dup ${fan.dups}, p50 ${fan.p50Ms.toFixed(1)} ms, p99 ${fan.p99Ms.toFixed(1)} ms, max ${fan.maxMs.toFixed(1)} ms, generator ${(fan.cpuShare * 100).toFixed(0)}% of its core`,
)
console.log(
  `stayers: published ${sent.reduce((a, b) => a + b, 0)}, delivered to stayers ${delivered}, lost ${lost}, duplicated or reordered ${disorder}, members churned ${churned}`,
)
console.log(
  `RSS ${mib(baseline?.rss ?? 0)} MiB at ${baseline?.s ?? 0} s → ${mib(last?.rss ?? 0)} MiB at ${last?.s ?? 0} s: ${growth.toFixed(1)}% (limit ${maxGrowth}%); heap after GC ${heaps.length > 1 ? `${heapGrowth.toFixed(1)}%` : 'n/a (the server answered late)'}`,
)
console.log(pass ? 'PASS' : 'FAIL')
console.log(
  JSON.stringify({
    transport,
    minutes,
    pass,
    lost,
    disorder,
    churned,
    growthPct: +growth.toFixed(2),
    loadAverage: loadavg().map((l) => +l.toFixed(2)),
    load: fanSummary,
    series,
  }),
)
for (const ws of publishers) ws.terminate()
await generator.stop()
await server.stop()
process.exit(pass ? 0 : 1)
