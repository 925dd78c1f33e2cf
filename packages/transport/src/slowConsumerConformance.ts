import { describe, expect, onTestFinished, test } from 'vitest'
import type { Connection, Transport, TransportOptions } from './Transport.js'
import { RawClient } from './testing/RawClient.js'
import { waitFor } from './testing/waitFor.js'

/** How the slow-consumer cases build a transport (the kit's `ConformanceTarget` fits). */
export interface SlowConsumerTarget {
  create<I = unknown>(options?: TransportOptions<I>): Transport<I>
}

const limit = 256 * 1024
/**
 * The slow peer still reads, in 10 ms chunks: slower than the flood, and fast enough to
 * get through what the kernel already holds ahead of the close frame (several MB on
 * Linux loopback) well within uWS's end() timeout (4 s with the adapter's settings).
 */
const slowRate = 4 * 1024 * 1024
const payload = 'x'.repeat(16 * 1024)

async function setup(target: SlowConsumerTarget, backpressure: 'close' | 'drop', rooms: number) {
  const topics = Array.from({ length: rooms }, (_, i) => `room-${i}`)
  const transport = target.create({ backpressure, maxBackpressure: limit, heartbeat: { intervalMs: 0 } })
  const connections: Connection[] = []
  transport.onConnection((c) => {
    connections.push(c)
    for (const t of topics) c.subscribe(t)
  })
  const { port } = await transport.listen({ port: 0, host: '127.0.0.1' })
  const clients: RawClient[] = []
  onTestFinished(async () => {
    for (const c of clients) c.destroy()
    await transport.close({ graceMs: 0 })
  })
  const connect = async () => {
    const c = await RawClient.connect(port)
    clients.push(c)
    return c
  }
  const fast = await connect()
  const other = await connect()
  const slow = await connect()
  await waitFor(() => connections.length === 3, 5000, 'three connections')
  const [fastConn, otherConn, slowConn] = connections as [Connection, Connection, Connection]
  let seq = 0
  /** Publishes one numbered message, round-robin over the rooms, and waits for both fast peers to get it. */
  const publishOne = async () => {
    const n = seq++
    transport.publish(topics[n % topics.length] as string, `${n}:${payload}`)
    await Promise.all([fast.waitForMessages(seq), other.waitForMessages(seq)])
  }
  const expectBystandersGotEverything = async () => {
    await Promise.all([fast.waitForMessages(seq), other.waitForMessages(seq)])
    for (const c of [fast, other]) {
      expect(c.messages.map((m) => Number(String(m.data).split(':', 1)[0]))).toEqual(
        Array.from({ length: seq }, (_, i) => i),
      )
      expect(c.isClosed).toBe(false)
    }
    expect(fastConn.droppedCount + otherConn.droppedCount).toBe(0)
  }
  return {
    transport,
    slow,
    slowConn,
    publishOne,
    expectBystandersGotEverything,
    get published() {
      return seq
    },
  }
}

/**
 * Slow consumers, as PROTOCOL.md promises them: a peer that reads more slowly than
 * its rooms publish crosses `maxBackpressure` counted over every topic it is in.
 * Under `'close'` it receives a 1013 close frame (it still reads, so it must get
 * the frame, not a reset); under `'drop'` its messages are dropped, counted and
 * reported, and what it does receive stays in order with the losses visible as
 * gaps. Either way the other subscribers get every message.
 */
export function runSlowConsumerConformance(target: SlowConsumerTarget): void {
  describe('slow consumers', () => {
    for (const rooms of [1, 20]) {
      test(`'close', ${rooms} room(s): a slow peer that still reads receives close 1013; the others get everything`, async () => {
        const s = await setup(target, 'close', rooms)
        s.slow.readSlowly(slowRate)
        let serverCode = 0
        let crossedAt = 0
        s.slowConn.onClose((code) => {
          serverCode = code
        })
        // the server has decided once the connection reports itself no longer open
        while (s.slowConn.isOpen && serverCode === 0 && s.published < 20_000) await s.publishOne()
        crossedAt = performance.now()
        expect(s.published).toBeLessThan(20_000)
        // the bystanders keep receiving after the slow peer is cut off
        for (let i = 0; i < 20; i++) await s.publishOne()
        const closed = await s.slow.closed
        const tookMs = performance.now() - crossedAt
        expect(closed.code).toBe(1013)
        await waitFor(() => serverCode !== 0, 10_000, 'the server-side close')
        expect(serverCode).toBe(1013)
        await s.expectBystandersGotEverything()
        console.log(
          `[slow consumer] ${rooms} room(s): 1013 read ${Math.round(tookMs)} ms after the limit was crossed, ` +
            `${Math.round(s.slow.bytesRead / 1024)} KiB read in all`,
        )
      }, 60_000)

      test(`'drop', ${rooms} room(s): drops are counted and show as gaps; the others get everything`, async () => {
        const s = await setup(target, 'drop', rooms)
        const dropped: string[] = []
        s.slowConn.onDrop((data) => dropped.push(String(data).split(':', 1)[0] as string))
        s.slow.readSlowly(slowRate)
        while (s.slowConn.droppedCount < 10 && s.published < 20_000) await s.publishOne()
        expect(s.slowConn.droppedCount).toBeGreaterThanOrEqual(10)
        expect(s.slowConn.isOpen).toBe(true)
        await s.expectBystandersGotEverything()
        // the slow peer catches up: it gets every message that was not dropped, in order
        s.slow.resume()
        const expected = s.published - s.slowConn.droppedCount
        await s.slow.waitForMessages(expected, 30_000)
        const got = s.slow.messages.map((m) => Number(String(m.data).split(':', 1)[0]))
        expect(got).toHaveLength(expected)
        const missing = new Set(Array.from({ length: s.published }, (_, i) => i))
        for (const n of got) missing.delete(n)
        expect([...missing].map(String)).toEqual(dropped)
        expect(got).toEqual([...got].sort((a, b) => a - b))
        expect(s.slow.isClosed).toBe(false)
      }, 60_000)
    }
  })
}
