import { describe, expect, test } from 'vitest'
import { SubscriberIndex } from '../src/SubscriberIndex.js'

/** A subscriber whose buffer we set by hand, counting how often it is asked. */
function subscriber(buffered = 0) {
  const s = {
    buffered,
    asked: 0,
    ws: {
      getBufferedAmount: () => {
        s.asked++
        return s.buffered
      },
    },
  }
  return s
}

describe('SubscriberIndex', () => {
  test('scans only while a subscriber could be over the limit, and always catches one that is', () => {
    const over: number[] = []
    const index = new SubscriberIndex<ReturnType<typeof subscriber>>(1000, (s) => over.push(s.buffered))
    const a = subscriber()
    const b = subscriber()
    index.add('t', a)
    index.add('t', b)
    expect(index.beforePublish('none', 'x')).toBe(false)
    expect(index.beforePublish('t', new Uint8Array(100))).toBe(true) // newcomers: scanned
    expect(a.asked).toBe(1)
    index.beforePublish('t', new Uint8Array(100)) // 0 + 114 ≤ 1000: no scan
    expect(a.asked).toBe(1)
    // The bound grows with everything written since the scan, so a real overflow is always seen.
    b.buffered = 1001
    for (let i = 0; i < 20 && over.length === 0; i++) index.beforePublish('t', new Uint8Array(100))
    expect(over).toEqual([1001])
    expect(a.asked).toBeGreaterThan(1)
    // While one stays over the limit, every publish checks (drop policy counts each).
    index.beforePublish('t', new Uint8Array(1))
    expect(over).toEqual([1001, 1001])
  })

  test('direct sends and pings count against the headroom of every topic', () => {
    const index = new SubscriberIndex<ReturnType<typeof subscriber>>(1000, () => {})
    const a = subscriber()
    index.add('t', a)
    index.beforePublish('t', 'x')
    const asked = a.asked
    index.wrote('y'.repeat(400)) // bound 1214 > 1000
    index.beforePublish('t', 'x')
    expect(a.asked).toBe(asked + 1)
    index.pinged()
    index.beforePublish('t', 'x')
    expect(a.asked).toBe(asked + 1)
  })

  test('a socket in many topics is bounded by what all of them publish, not by each on its own', () => {
    const over: string[] = []
    const index = new SubscriberIndex<ReturnType<typeof subscriber>>(1000, (_s, _d, topic) =>
      over.push(topic),
    )
    const slow = subscriber()
    const topics = Array.from({ length: 20 }, (_, i) => `t${i}`)
    for (const t of topics) index.add(t, slow)
    for (const t of topics) index.beforePublish(t, new Uint8Array(1)) // first scans
    // 20 topics × 100 B: no single topic comes near 1000 B, the socket does
    for (let round = 0; round < 2; round++) {
      for (const t of topics) {
        slow.buffered += 114
        index.beforePublish(t, new Uint8Array(100))
      }
    }
    expect(slow.buffered).toBeGreaterThan(1000)
    expect(over.length).toBeGreaterThan(0)
  })
})
