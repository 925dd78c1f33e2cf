import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import WebSocket from 'ws'
import type { TransportName } from '../server/benchTransport.js'
import { PinnedChild } from '../server/PinnedChild.js'
import { StreamCheck } from './checker.js'

/**
 * Soak: `pnpm soak --minutes N [--transport uws]` (not part of `pnpm test`). The full
 * server in its own process; this process holds, per room, one publisher sending
 * `publisher#seq` at `--rate` messages/s and `--stayers` members who stay to the end,
 * plus `--churners` workers that connect, join 1–3 rooms, stay 0.2–2 s and go (a leave,
 * a close or a TCP terminate, in turn). Every `--every` seconds it prints the server's
 * RSS and heap (after a full GC). PASS: every stayer got every message of its room once
 * and in order, and RSS grew < `--max-growth` % from the first sample after the first
 * minute to the last (a run under 2 minutes takes its baseline at half-time).
 */
const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    transport: { type: 'string', default: 'ws' },
    rooms: { type: 'string', default: '10' },
    rate: { type: 'string', default: '20' },
    stayers: { type: 'string', default: '5' },
    churners: { type: 'string', default: '20' },
    every: { type: 'string', default: '10' },
    'max-growth': { type: 'string', default: '10' },
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
if (transport !== 'ws' && transport !== 'uws') throw new Error('--transport is ws or uws')

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url))
const server = new PinnedChild(0, here('./soakServer.ts'), [transport], ['--expose-gc'])
const { port } = await server.next<{ port: number }>('listening')
const url = `ws://127.0.0.1:${port}/ws`
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
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

const endAt = Date.now() + minutes * 60_000
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
const series: { s: number; rss: number; heapUsed: number }[] = []
const started = Date.now()
console.log(
  `soak: ${transport}, ${minutes} min, ${rooms} rooms × (1 publisher at ${rate}/s + ${stayersPerRoom} stayers), ${churners} churners`,
)
console.log('     s   rss MiB  heap MiB  delivered  churned')
while (Date.now() < endAt) {
  await sleep(Math.min(everyMs, Math.max(0, endAt - Date.now())))
  const sample = await server.request<{ rss: number; heapUsed: number }>({ type: 'sample' }, 'sample')
  const s = Math.round((Date.now() - started) / 1000)
  series.push({ s, rss: sample.rss, heapUsed: sample.heapUsed })
  const delivered = stayers.reduce((n, x) => n + x.check.delivered, 0)
  console.log(
    `${String(s).padStart(6)} ${mib(sample.rss).padStart(9)} ${mib(sample.heapUsed).padStart(9)} ${String(delivered).padStart(10)} ${String(churned).padStart(8)}`,
  )
}
running = false
await publishing
await Promise.all(churning)

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
const heapGrowth = baseline && last ? ((last.heapUsed - baseline.heapUsed) / baseline.heapUsed) * 100 : 0
const pass = lost === 0 && disorder === 0 && growth < maxGrowth
console.log(
  `published ${sent.reduce((a, b) => a + b, 0)}, delivered to stayers ${delivered}, lost ${lost}, duplicated or reordered ${disorder}, members churned ${churned}`,
)
console.log(
  `RSS ${mib(baseline?.rss ?? 0)} MiB at ${baseline?.s ?? 0} s → ${mib(last?.rss ?? 0)} MiB at ${last?.s ?? 0} s: ${growth.toFixed(1)}% (limit ${maxGrowth}%); heap after GC ${heapGrowth.toFixed(1)}%`,
)
console.log(pass ? 'PASS' : 'FAIL')
console.log(
  JSON.stringify({ transport, minutes, lost, disorder, churned, growthPct: +growth.toFixed(2), series }),
)
for (const ws of publishers) ws.terminate()
await server.stop()
process.exit(pass ? 0 : 1)
