// `pnpm --filter ./apps/game-demo bench`: ROOMS arena rooms × PLAYERS players at HZ on one server
// process (pinned to core 0 when taskset exists), the players' sockets in this process (core 1).
// Prints the server's CPU %, tick p99 (one tick's simulation and broadcast), tick lateness p99 (how
// late the tick timer fired) and delivery p99 (from the tick's start on the server to a player's
// receipt of its delta; both processes read the same clock, performance.timeOrigin + now()).
// The last line is one JSON object. Env: ROOMS (200), PLAYERS (8), HZ (20), SECONDS (10, measured
// after WARMUP 3 s), TRANSPORT (uws | ws).
import { type ChildProcess, execFileSync, fork } from 'node:child_process'
import { existsSync } from 'node:fs'
import { loadavg } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import * as hdr from 'hdr-histogram-js'
import { WebSocket } from 'ws'

const rooms = Number(process.env.ROOMS ?? 200)
const players = Number(process.env.PLAYERS ?? 8)
const hz = Number(process.env.HZ ?? 20)
const seconds = Number(process.env.SECONDS ?? 10)
const warmup = Number(process.env.WARMUP ?? 3)
const transport = process.env.TRANSPORT ?? 'uws'
const now = () => performance.timeOrigin + performance.now()
const uptime = () => {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim()
  } catch {
    return `load average: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')}`
  }
}

const taskset = ['/usr/bin/taskset', '/bin/taskset'].find((p) => existsSync(p))
const pinned =
  process.env.PIN !== '0' && taskset !== undefined && (await import('node:os')).availableParallelism() >= 2
if (pinned) execFileSync(taskset!, ['-cp', '1', String(process.pid)], { stdio: 'ignore' })

const serverScript = fileURLToPath(new URL('./server.ts', import.meta.url))
const server: ChildProcess = fork(serverScript, [], {
  execArgv: ['--import', 'tsx', '--conditions=@hubbub/source'],
  env: { ...process.env, HZ: String(hz), TRANSPORT: transport },
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
})
const messages: { type: string; [k: string]: any }[] = []
const waiters: (() => void)[] = []
server.on('message', (m: any) => {
  messages.push(m)
  for (const w of waiters.splice(0)) w()
})
async function next(type: string) {
  for (;;) {
    const i = messages.findIndex((m) => m.type === type)
    if (i >= 0) return messages.splice(i, 1)[0]!
    await new Promise<void>((resolve) => waiters.push(resolve))
  }
}
if (pinned) execFileSync(taskset!, ['-cp', '0', String(server.pid)], { stdio: 'ignore' })
const { port } = await next('ready')
console.log(
  `server on port ${port} (${transport}), ${rooms} rooms × ${players} players at ${hz} Hz${pinned ? ', server on core 0, load on core 1' : ''}`,
)

/** Receipts of deltas while recording: room index, tick, when. */
const receipts: number[] = []
let recording = false
const sockets: WebSocket[] = []
const url = `ws://127.0.0.1:${port}/ws`
for (let r = 0; r < rooms; r++) {
  await Promise.all(
    Array.from(
      { length: players },
      (_, p) =>
        new Promise<void>((resolve, reject) => {
          const ws = new WebSocket(url, 'hubbub.v1.json')
          sockets.push(ws)
          ws.on('error', reject)
          ws.on('message', (data) => {
            const text = String(data)
            if (text.startsWith('{"type":"joined"')) resolve()
            if (!recording || !text.startsWith('{"type":"delta"')) return
            receipts.push(r, (JSON.parse(text) as { tick: number }).tick, now())
          })
          ws.on('open', () =>
            ws.send(JSON.stringify({ type: 'join', roomId: `arena:b${r}`, username: `p${p}` })),
          )
        }),
    ),
  )
}
console.log(`${sockets.length} players joined`)
// Each player turns every ~400 ms (2.5 inputs/s), so most ticks move someone.
const dirs = [-1, 0, 1]
const steer = setInterval(() => {
  for (let i = 0; i < sockets.length; i++) {
    if ((i + Math.floor(performance.now() / 50)) % 8 !== 0) continue
    const r = Math.floor(i / players)
    const dx = dirs[Math.floor(Math.random() * 3)]
    const dy = dirs[Math.floor(Math.random() * 3)]
    sockets[i]!.send(JSON.stringify({ type: 'input', roomId: `arena:b${r}`, dx, dy }))
  }
}, 50)
await sleep(warmup * 1000)
recording = true
server.send({ type: 'start' })
await sleep(seconds * 1000)
recording = false
server.send({ type: 'stop' })
const result = await next('result')
clearInterval(steer)
const started = new Map<string, number>()
for (const m of messages.filter((x) => x.type === 'ticks'))
  for (const [roomId, tick, at] of m.ticks) started.set(`${roomId}#${tick}`, at)
const delivery = hdr.build({
  lowestDiscernibleValue: 1,
  highestTrackableValue: 60_000_000,
  numberOfSignificantValueDigits: 3,
})
let matched = 0
for (let i = 0; i < receipts.length; i += 3) {
  const at = started.get(`arena:b${receipts[i]}#${receipts[i + 1]}`)
  if (at === undefined) continue
  matched++
  delivery.recordValue(Math.max(1, Math.round((receipts[i + 2]! - at) * 1000)))
}
server.send({ type: 'exit' })
for (const ws of sockets) ws.terminate()
const out = {
  cpuPct: Math.round(result.cpuPct * 10) / 10,
  tickP99Ms: Math.round(result.tickP99Ms * 1000) / 1000,
  tickLatenessP99Ms: Math.round(result.tickLatenessP99Ms * 1000) / 1000,
  tickLatenessP50Ms: Math.round(result.tickLatenessP50Ms * 1000) / 1000,
  deliveryP99Ms: Math.round((delivery.getValueAtPercentile(99) / 1000) * 1000) / 1000,
  deliveryP50Ms: Math.round((delivery.getValueAtPercentile(50) / 1000) * 1000) / 1000,
  tickMaxMs: Math.round(result.tickMaxMs * 1000) / 1000,
  ticks: result.ticks,
  deliveries: matched,
  rooms,
  players,
  hz,
  seconds,
  transport,
  pinned,
}
console.log(uptime())
console.log(JSON.stringify(out))
await new Promise((resolve) => server.once('exit', resolve))
process.exit(0)
