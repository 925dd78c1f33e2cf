// Binary payloads on the wire: msgpack (`@hubbub/client/msgpack`, raw bytes) against the JSON
// wire with the bytes as base64 text, for a custom frame shaped like a Yjs update. Prints bytes
// per frame and the time to encode and to decode one frame on the client (raw bytes against
// base64 text in JSON), then one JSON line. Timings are noisy on a shared machine: compare the two columns
// of one run, and state the load average.
import { readFileSync } from 'node:fs'
import { msgpackWire } from '../src/msgpack.js'

const sizes = [32, 512, 8192, 49152]
const rounds = Number(process.env.ROUNDS ?? 20000)

function bytes(n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = (i * 2654435761) >>> 24
  return out
}

function time(n: number, f: () => void): number {
  for (let i = 0; i < Math.min(n, 500); i++) f() // warm up
  const start = process.hrtime.bigint()
  for (let i = 0; i < n; i++) f()
  return Number(process.hrtime.bigint() - start) / n / 1000 // µs per frame
}

const rows: Record<string, number | string>[] = []
for (const size of sizes) {
  const payload = bytes(size)
  const frame = { type: 'yjs_update', roomId: 'doc:1', update: payload }
  const n = Math.max(200, Math.floor(rounds / Math.max(1, size / 512)))
  const packed = msgpackWire.encode(frame) as Uint8Array
  const json = JSON.stringify({ ...frame, update: Buffer.from(payload).toString('base64') })
  const mpEncode = time(n, () => msgpackWire.encode(frame))
  const mpDecode = time(n, () => msgpackWire.decode(packed))
  const jsonEncode = time(n, () =>
    JSON.stringify({ ...frame, update: Buffer.from(payload).toString('base64') }),
  )
  const jsonDecode = time(n, () => {
    const value = JSON.parse(json) as { update: string }
    Buffer.from(value.update, 'base64')
  })
  rows.push({
    payloadBytes: size,
    msgpackBytes: packed.byteLength,
    base64JsonBytes: Buffer.byteLength(json),
    msgpackEncodeUs: +mpEncode.toFixed(2),
    base64JsonEncodeUs: +jsonEncode.toFixed(2),
    msgpackDecodeUs: +mpDecode.toFixed(2),
    base64JsonDecodeUs: +jsonDecode.toFixed(2),
  })
}
console.table(rows)
console.log(`loadavg: ${readFileSync('/proc/loadavg', 'utf8').trim()}`)
console.log(JSON.stringify({ binaryPayloads: rows }))
