// Prints frames/s of decode+validate and encode next to bare JSON.parse / JSON.stringify of the same
// frame; the last line is one JSON object with the cost ratios. Run pinned: `taskset -c 1 pnpm bench`.
import type { RoomMessageFrame } from '../src/index.js'
import { decodeClientFrame, encodeServerFrame } from '../src/index.js'
import { msgpackCodec } from '../src/msgpack.js'

const messageText = JSON.stringify({
  type: 'message',
  id: 'm-1042',
  roomId: 'lobby',
  text: 'hey everyone, is the deploy still on for tonight?',
})
const joinText = JSON.stringify({ type: 'join', id: 'j-7', roomId: 'game:42', username: 'alice' })
const roomMessage: RoomMessageFrame = {
  type: 'message',
  roomId: 'lobby',
  from: 'alice',
  text: 'hey everyone, is the deploy still on for tonight?',
  timestamp: 1_763_860_000_000,
  offset: 1042,
}
const packedMessage = msgpackCodec.encodeServerFrame(JSON.parse(messageText))

let sink = 0
const cases: Record<string, () => void> = {
  'JSON.parse(message)': () => {
    sink += JSON.parse(messageText).text.length
  },
  'decodeClientFrame(message)': () => {
    const result = decodeClientFrame(messageText, false)
    if (result.ok) sink += result.frame.type.length
  },
  'decodeClientFrame(join) (zod path)': () => {
    const result = decodeClientFrame(joinText, false)
    if (result.ok) sink += result.frame.type.length
  },
  'msgpack decodeClientFrame(message)': () => {
    const result = msgpackCodec.decodeClientFrame(packedMessage, true)
    if (result.ok) sink += result.frame.type.length
  },
  'JSON.stringify(message)': () => {
    sink += JSON.stringify(roomMessage).length
  },
  'encodeServerFrame(message)': () => {
    sink += encodeServerFrame(roomMessage).length
  },
  'msgpack encodeServerFrame(message)': () => {
    sink += msgpackCodec.encodeServerFrame(roomMessage).length
  },
}

/**
 * Best of several timed rounds per case, in nanoseconds per operation. Rounds interleave the cases,
 * so a burst of load from other processes on the shared cores hits a case and its baseline alike.
 */
function measureAll(rounds = 9, iterations = 100_000): Record<string, number> {
  const best: Record<string, number> = {}
  for (const [name, fn] of Object.entries(cases)) {
    for (let i = 0; i < iterations; i++) fn()
    best[name] = Number.POSITIVE_INFINITY
  }
  for (let round = 0; round < rounds; round++) {
    for (const [name, fn] of Object.entries(cases)) {
      const start = process.hrtime.bigint()
      for (let i = 0; i < iterations; i++) fn()
      best[name] = Math.min(best[name]!, Number(process.hrtime.bigint() - start) / iterations)
    }
  }
  return best
}

const ns = measureAll()

const rows = Object.entries(ns).map(([name, cost]) => ({
  case: name,
  'frames/s': Math.round(1e9 / cost).toLocaleString('en-US'),
  'ns/frame': cost.toFixed(0),
}))
console.table(rows)
const ratio = (a: string, b: string) => Number((ns[a]! / ns[b]!).toFixed(2))
console.log(
  JSON.stringify({
    decodeVsJsonParse: ratio('decodeClientFrame(message)', 'JSON.parse(message)'),
    encodeVsJsonStringify: ratio('encodeServerFrame(message)', 'JSON.stringify(message)'),
    decodeJoinVsJsonParse: ratio('decodeClientFrame(join) (zod path)', 'JSON.parse(message)'),
    decodeFramesPerSecond: Math.round(1e9 / ns['decodeClientFrame(message)']!),
    encodeFramesPerSecond: Math.round(1e9 / ns['encodeServerFrame(message)']!),
    msgpackDecodeFramesPerSecond: Math.round(1e9 / ns['msgpack decodeClientFrame(message)']!),
    msgpackEncodeFramesPerSecond: Math.round(1e9 / ns['msgpack encodeServerFrame(message)']!),
    sink: sink > 0,
  }),
)
