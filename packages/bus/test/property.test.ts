import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { EventBus, matchTopic } from '../src/index.js'

// A small alphabet so random patterns and topics actually collide.
const segment = fc.constantFrom('a', 'b', 'c', 'room', '')
const topicArb = (sep: string) =>
  fc
    .array(segment, { minLength: 1, maxLength: 5 })
    .map((s) => s.join(sep))
    .filter((t) => t !== '')
const patternArb = (sep: string) =>
  fc
    .tuple(fc.array(fc.oneof(segment, fc.constant('*')), { minLength: 1, maxLength: 5 }), fc.boolean())
    .map(([segs, hash]) => (hash ? [...segs.slice(0, -1), '#'] : segs).join(sep))
    .filter((p) => p !== '')

describe('trie against the naive reference matcher', () => {
  for (const sep of ['.', ':']) {
    it(`delivers exactly to the subscriptions whose pattern matches, in order (separator '${sep}')`, () => {
      fc.assert(
        fc.property(
          fc.array(patternArb(sep), { minLength: 1, maxLength: 30 }),
          fc.array(topicArb(sep), { minLength: 1, maxLength: 10 }),
          fc.array(fc.nat(), { maxLength: 10 }),
          (patterns, topics, removals) => {
            const bus = new EventBus({ separator: sep })
            const live = new Map<number, string>()
            const subs = patterns.map((p) => {
              const s = bus.subscribe(p, (_m, topic, self) => void got.push([self.id, topic]))
              live.set(s.id, p)
              return s
            })
            // Remove some, so pruning and list removal are exercised too.
            for (const r of removals) {
              const s = subs[r % subs.length]!
              s.unsubscribe()
              live.delete(s.id)
            }
            let got: Array<[number, string]> = []
            for (const topic of topics) {
              got = []
              bus.publish(topic, null)
              const expected = [...live].filter(([, p]) => matchTopic(p, topic, sep)).map(([id]) => id)
              expect(got.map(([id]) => id)).toEqual(expected)
              expect(bus.matchCount(topic)).toBe(expected.length)
              expect(bus.hasSubscribers(topic)).toBe(expected.length > 0)
            }
            expect(bus.size).toBe(live.size)
          },
        ),
        { numRuns: 300 },
      )
    })
  }
})
