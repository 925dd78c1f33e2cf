import { describe, expect, test } from 'vitest'
import { RateLimiter } from '../src/RateLimiter.js'

describe('RateLimiter', () => {
  test('allows a burst, then refuses, then refills at the rate', () => {
    const r = new RateLimiter({ perSecond: 10, burst: 3 }, 0)
    expect([r.take(0), r.take(0), r.take(0), r.take(0)]).toEqual(['ok', 'ok', 'ok', 'limited'])
    expect(r.take(50)).toBe('limited')
    expect(r.take(100)).toBe('ok')
  })

  test('sustained pushing above the rate becomes abuse after abuseMs, even when some frames pass', () => {
    const r = new RateLimiter({ perSecond: 10, burst: 2, abuseMs: 1000 }, 0)
    const seen = new Set<string>()
    // 20 frames/s against a 10/s bucket for 1.5 s.
    for (let t = 0; t <= 1500; t += 50) seen.add(r.take(t))
    expect(seen).toEqual(new Set(['ok', 'limited', 'abuse']))
  })

  test('a calm second after a burst resets the abuse clock', () => {
    const r = new RateLimiter({ perSecond: 10, burst: 1, abuseMs: 1000 }, 0)
    expect(r.take(0)).toBe('ok')
    expect(r.take(0)).toBe('limited')
    expect(r.take(1100)).toBe('ok')
    expect(r.take(1100)).toBe('limited')
    expect(r.take(1150)).toBe('limited')
  })
})
