import type { Connection } from '@hubbub/transport'
import { expect, onTestFinished, test } from 'vitest'
import WebSocket, { type PerMessageDeflateOptions } from 'ws'
import { wsTransport } from '../src/index.js'

// Distinct, compressible messages: each one repeats its own sentence, so a frame compressed
// without context shrinks several times over, and a frame mixed up with another is caught.
const big = (i: number) => `message ${i}: ${'the quick brown fox jumps over the lazy dog '.repeat(60)}#${i}`

/** What the client agreed with the server (ws's `extensions` string names the extension only). */
const agreed = (ws: WebSocket) =>
  (ws as unknown as { _extensions: Record<string, { params: object } | undefined> })._extensions[
    'permessage-deflate'
  ]?.params

async function subscriber(port: number, deflate: boolean | PerMessageDeflateOptions) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { perMessageDeflate: deflate })
  const received: string[] = []
  ws.on('message', (data: Buffer) => received.push(data.toString()))
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
  onTestFinished(() => ws.terminate())
  const wireBytes = () => (ws as unknown as { _socket: { bytesRead: number } })._socket.bytesRead
  return { ws, received, wireBytes }
}

test('publish compresses a large frame once for every deflate subscriber; sends and plain subscribers stay exact', async () => {
  const transport = wsTransport({ perMessageDeflate: true })
  const connections: Connection[] = []
  transport.onConnection((c) => {
    connections.push(c)
    c.subscribe('room')
  })
  const { port } = await transport.listen({ port: 0, host: '127.0.0.1' })
  onTestFinished(() => transport.close({ graceMs: 0 }))
  const deflating = await subscriber(port, true)
  const smallWindow = await subscriber(port, { serverMaxWindowBits: 10 })
  const plain = await subscriber(port, false)
  await expect.poll(() => connections.length).toBe(3)
  // the server imposes no context takeover on every offer, so one compressed frame fits all
  expect(agreed(deflating.ws)).toEqual({ server_no_context_takeover: true })
  expect(agreed(smallWindow.ws)).toEqual({ server_no_context_takeover: true, server_max_window_bits: 10 })
  expect(agreed(plain.ws)).toBeUndefined()

  // room traffic alone: the shared compressed frame is what reaches the wire
  const expected: string[] = []
  for (let i = 0; i < 30; i++) {
    transport.publish('room', big(i))
    expected.push(big(i))
  }
  for (const s of [deflating, smallWindow, plain])
    await expect.poll(() => s.received.length).toBe(expected.length)
  const payloadBytes = expected.reduce((n, m) => n + Buffer.byteLength(m), 0)
  expect(plain.wireBytes()).toBeGreaterThan(payloadBytes)
  expect(deflating.wireBytes()).toBeLessThan(payloadBytes / 4)
  expect(smallWindow.wireBytes()).toBeLessThan(payloadBytes / 4)

  // direct sends (ws compresses these per socket, on its own queue) interleave with shared frames
  for (let i = 30; i < 70; i++) {
    transport.publish('room', big(i))
    expected.push(big(i))
    if (i % 4 === 0) {
      for (const c of connections) c.send(`direct ${big(i)}`)
      expected.push(`direct ${big(i)}`)
    }
    // a small frame is never compressed
    transport.publish('room', `small ${i}`)
    expected.push(`small ${i}`)
  }
  for (const s of [deflating, smallWindow, plain])
    await expect.poll(() => s.received.length).toBe(expected.length)
  for (const s of [deflating, smallWindow, plain]) expect(s.received).toEqual(expected)
})

test('binary frames compress once as well, and arrive as binary', async () => {
  const transport = wsTransport({ perMessageDeflate: true })
  let joined = 0
  transport.onConnection((c) => {
    c.subscribe('room')
    joined++
  })
  const { port } = await transport.listen({ port: 0, host: '127.0.0.1' })
  onTestFinished(() => transport.close({ graceMs: 0 }))
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { perMessageDeflate: true })
  const received: Array<[Buffer, boolean]> = []
  ws.on('message', (data: Buffer, isBinary: boolean) => received.push([data, isBinary]))
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
  onTestFinished(() => ws.terminate())
  await expect.poll(() => joined).toBe(1)
  const payload = new Uint8Array(4096).map((_, i) => i % 7)
  transport.publish('room', payload)
  await expect.poll(() => received.length).toBe(1)
  expect(received[0]![1]).toBe(true)
  expect(new Uint8Array(received[0]![0])).toEqual(payload)
  expect((ws as unknown as { _socket: { bytesRead: number } })._socket.bytesRead).toBeLessThan(1024)
})
