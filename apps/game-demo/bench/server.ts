// The bench's server process: the game server with its arena ticks recorded. Started by arena.ts with
// an IPC channel; it answers `start` (begin recording), `stop` (send the numbers) and exits on `exit`.
import * as hdr from 'hdr-histogram-js'
import { type ArenaTick, GameServer, type TransportName } from '../src/index.js'

const hz = Number(process.env.HZ ?? 20)
const transport = (process.env.TRANSPORT ?? 'uws') as TransportName
const micros = () =>
  hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  })
const took = micros()
const late = micros()
let recording = false
let ticks = 0
/** Ticks that sent a delta, `[roomId, tick, startedAt]`, sent to the load process in batches. */
let batch: [string, number, number][] = []

const onArenaTick = (t: ArenaTick) => {
  if (!recording) return
  ticks++
  took.recordValue(Math.max(1, Math.round(t.tookMs * 1000)))
  late.recordValue(Math.max(1, Math.round(t.lateMs * 1000)))
  if (t.sent) batch.push([t.roomId, t.tick, t.startedAt])
}
const flush = () => {
  if (batch.length === 0) return
  process.send!({ type: 'ticks', ticks: batch })
  batch = []
}
setInterval(flush, 250).unref()

const game = new GameServer({
  transport,
  port: 0,
  host: '127.0.0.1',
  heartbeatMs: 0,
  page: false,
  arenaHz: hz,
  onArenaTick,
})
await game.start()
let cpu = process.cpuUsage()
let wallStart = performance.now()
process.on('message', (m: { type: string }) => {
  if (m.type === 'start') {
    recording = true
    cpu = process.cpuUsage()
    wallStart = performance.now()
  } else if (m.type === 'stop') {
    recording = false
    const used = process.cpuUsage(cpu)
    const wall = performance.now() - wallStart
    flush()
    process.send!({
      type: 'result',
      cpuPct: ((used.user + used.system) / 1000 / wall) * 100,
      tickP99Ms: took.getValueAtPercentile(99) / 1000,
      tickMaxMs: took.maxValue / 1000,
      tickLatenessP99Ms: late.getValueAtPercentile(99) / 1000,
      tickLatenessP50Ms: late.getValueAtPercentile(50) / 1000,
      ticks,
    })
  } else if (m.type === 'exit') {
    void game.stop({ graceMs: 0 }).then(() => process.exit(0))
  }
})
process.send!({ type: 'ready', port: game.port })
