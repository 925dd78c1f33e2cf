import { afterEach, describe, expect, it, vi } from 'vitest'
import { BusError, EventBus, matchTopic, type Subscription } from '../src/index.js'

/** [pattern, topic, matches] — the documented pattern table, checked against the bus and the reference. */
const table: Array<[string, string, boolean]> = [
  ['a.b', 'a.b', true],
  ['a.b', 'a.b.c', false],
  ['a.b', 'a', false],
  ['a.*', 'a.b', true],
  ['a.*', 'a', false],
  ['a.*', 'a.b.c', false],
  ['*.b', 'a.b', true],
  ['*', 'a', true],
  ['*', 'a.b', false],
  ['a.*.c', 'a.b.c', true],
  ['a.*.c', 'a.c', false],
  ['*.*', 'a.b', true],
  ['a.#', 'a', true],
  ['a.#', 'a.b', true],
  ['a.#', 'a.b.c.d', true],
  ['a.#', 'b.a', false],
  ['a.#', 'ab', false],
  ['#', 'a', true],
  ['#', 'a.b.c', true],
  ['a.*.#', 'a', false],
  ['a.*.#', 'a.b', true],
  ['a.*.#', 'a.b.c', true],
  ['*.#', 'x', true],
  // no partial-segment matches
  ['room', 'room1', false],
  ['room.1', 'room.10', false],
  ['ro', 'room', false],
  ['a.b', 'a.bc', false],
]

function delivered(bus: EventBus, pattern: string, topic: string): boolean {
  let hit = false
  const sub = bus.subscribe(pattern, () => {
    hit = true
  })
  bus.publish(topic, null)
  sub.unsubscribe()
  return hit
}

describe('pattern table', () => {
  for (const [pattern, topic, expected] of table) {
    it(`'${pattern}' ${expected ? 'matches' : 'does not match'} '${topic}'`, () => {
      const bus = new EventBus()
      expect(delivered(bus, pattern, topic)).toBe(expected)
      expect(matchTopic(pattern, topic)).toBe(expected)
      // the same table with ':' as the separator
      const colon = new EventBus({ separator: ':' })
      const c = (s: string) => s.replaceAll('.', ':')
      expect(delivered(colon, c(pattern), c(topic))).toBe(expected)
      expect(matchTopic(c(pattern), c(topic), ':')).toBe(expected)
    })
  }

  it("treats '.' as an ordinary character when the separator is ':'", () => {
    const bus = new EventBus({ separator: ':' })
    const got: string[] = []
    bus.subscribe('room:*:message', (_m, topic) => void got.push(topic))
    bus.publish('room:a.b:message', 1)
    bus.publish('room:a:b:message', 2)
    expect(got).toEqual(['room:a.b:message'])
  })

  it('supports a multi-character separator', () => {
    const bus = new EventBus({ separator: '::' })
    const got: string[] = []
    bus.subscribe('a::#', (_m, topic) => void got.push(topic))
    bus.publish('a::b::c', 1)
    bus.publish('a', 2)
    bus.publish('a:b', 3)
    expect(got).toEqual(['a::b::c', 'a'])
  })

  it('rejects wildcards inside a segment, # before the end, and wildcards in published topics', () => {
    const bus = new EventBus()
    const noop = () => {}
    for (const bad of ['a*', 'a.b*', 'a.#.b', '#.a', 'a.x#', '']) {
      expect(() => bus.subscribe(bad, noop)).toThrowError(BusError)
    }
    for (const bad of ['a.*', 'a.#', '*', '', 'a*b']) {
      expect(() => bus.publish(bad, 1)).toThrowError(expect.objectContaining({ code: 'INVALID_TOPIC' }))
    }
    expect(() => new EventBus({ separator: '' })).toThrowError(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    )
    expect(() => new EventBus({ separator: '*' })).toThrowError(BusError)
    expect(bus.size).toBe(0)
  })
})

describe('delivery', () => {
  it('runs handlers synchronously in subscription order across exact topics and patterns', () => {
    const bus = new EventBus<string>()
    const order: string[] = []
    bus.subscribe('chat.#', () => void order.push('1 chat.#'))
    bus.subscribe('chat.room', () => void order.push('2 exact'))
    bus.subscribe('*.room', () => void order.push('3 *.room'))
    bus.subscribe('chat.*', () => void order.push('4 chat.*'))
    bus.subscribe('chat.room', () => void order.push('5 exact'))
    bus.subscribe('#', () => void order.push('6 #'))
    const n = bus.publish('chat.room', 'hi')
    expect(order).toEqual(['1 chat.#', '2 exact', '3 *.room', '4 chat.*', '5 exact', '6 #'])
    expect(n).toBe(6)
  })

  it('delivers once to each subscription even when several of its patterns match', () => {
    const bus = new EventBus()
    const calls = new Map<number, number>()
    const subs: Subscription[] = []
    for (const p of ['a.b', 'a.b', 'a.*', '*.b', 'a.#', '#', '*.*', 'a.b.#']) {
      subs.push(bus.subscribe(p, (_m, _t, s) => void calls.set(s.id, (calls.get(s.id) ?? 0) + 1)))
    }
    bus.publish('a.b', 1)
    expect([...calls.values()]).toEqual(subs.map(() => 1))
    expect(calls.size).toBe(subs.length)
  })

  it('hands the same payload object to every handler (no serialisation on the local path)', () => {
    const bus = new EventBus<object>()
    const payload = { nested: { n: 1 }, bytes: new Uint8Array([1, 2, 3]), fn: () => 1 }
    const seen: object[] = []
    bus.subscribe('t', (m) => void seen.push(m))
    bus.subscribe('*', (m) => void seen.push(m))
    bus.publish('t', payload)
    expect(seen).toHaveLength(2)
    expect(seen[0]).toBe(payload)
    expect(seen[1]).toBe(payload)
  })

  it('never encodes on the local path: payloads JSON cannot carry still arrive', () => {
    const bus = new EventBus<{ big: bigint; self?: unknown }>()
    expect(bus.adapter.distributed).toBe(false)
    const payload: { big: bigint; self?: unknown } = { big: 10n }
    payload.self = payload
    let got: unknown
    bus.subscribe('t.#', (m) => {
      got = m
    })
    bus.publish('t.x', payload)
    expect(got).toBe(payload)
  })

  it('passes topic and subscription to the handler', () => {
    const bus = new EventBus()
    const got: Array<[string, string]> = []
    const sub = bus.subscribe('user.*', (_m, topic, s) => void got.push([topic, s.pattern]))
    bus.publish('user.42', null)
    expect(got).toEqual([['user.42', 'user.*']])
    expect(sub.pattern).toBe('user.*')
  })
})

describe('subscribe and unsubscribe during a publish', () => {
  it('a subscription removed during a publish still gets that publish, and no later one', () => {
    const bus = new EventBus()
    const got: string[] = []
    let victim: Subscription | undefined
    bus.subscribe('t', (m) => {
      got.push(`first ${m}`)
      victim?.unsubscribe()
    })
    victim = bus.subscribe('t', (m) => void got.push(`victim ${m}`))
    const patternVictim = bus.subscribe('*', (m) => void got.push(`pattern ${m}`))
    bus.subscribe('t', () => patternVictim.unsubscribe())
    bus.publish('t', 1)
    bus.publish('t', 2)
    expect(got).toEqual(['first 1', 'victim 1', 'pattern 1', 'first 2'])
    expect(victim.active).toBe(false)
  })

  it('a subscription added during a publish does not get that publish, but gets the next', () => {
    const bus = new EventBus()
    const got: string[] = []
    let added = false
    bus.subscribe('t', (m) => {
      got.push(`a ${m}`)
      if (!added) {
        added = true
        bus.subscribe('t', (n) => void got.push(`late ${n}`))
        bus.subscribe('#', (n) => void got.push(`late# ${n}`))
      }
    })
    bus.publish('t', 1)
    bus.publish('t', 2)
    expect(got).toEqual(['a 1', 'a 2', 'late 2', 'late# 2'])
  })

  it('a handler that unsubscribes itself receives that message only', () => {
    const bus = new EventBus()
    let calls = 0
    bus.subscribe('t.*', (_m, _t, self) => {
      calls++
      self.unsubscribe()
    })
    bus.publish('t.x', 1)
    bus.publish('t.x', 2)
    expect(calls).toBe(1)
    expect(bus.size).toBe(0)
  })

  it('a nested publish from a handler is delivered before the outer publish continues', () => {
    const bus = new EventBus<number>()
    const got: string[] = []
    bus.subscribe('a', (m) => {
      got.push(`a1 ${m}`)
      if (m === 1) bus.publish('b', 2)
    })
    bus.subscribe('#', (m, t) => void got.push(`# ${t} ${m}`))
    bus.publish('a', 1)
    expect(got).toEqual(['a1 1', '# b 2', '# a 1'])
  })

  it('unsubscribe is idempotent', () => {
    const bus = new EventBus()
    const a = bus.subscribe('t', () => {})
    bus.subscribe('t', () => {})
    a.unsubscribe()
    a.unsubscribe()
    expect(bus.subscriptionCount('t')).toBe(1)
    expect(bus.size).toBe(1)
  })
})

describe('errors', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('a throwing handler does not stop the others; the error reaches onError with topic and subscription', () => {
    const errors: Array<[unknown, string, string | undefined]> = []
    const bus = new EventBus({ onError: (err, topic, sub) => void errors.push([err, topic, sub?.pattern]) })
    const got: number[] = []
    const boom = new Error('boom')
    bus.subscribe('t.*', () => {
      throw boom
    })
    bus.subscribe('t.x', () => void got.push(2))
    bus.subscribe('#', () => {
      throw new Error('second')
    })
    bus.subscribe('t.x', () => void got.push(4))
    expect(bus.publish('t.x', 0)).toBe(4)
    expect(got).toEqual([2, 4])
    expect(errors.map(([e, t, p]) => [(e as Error).message, t, p])).toEqual([
      ['boom', 't.x', 't.*'],
      ['second', 't.x', '#'],
    ])
    expect(errors[0]![0]).toBe(boom)
  })

  it('a rejected promise from an async handler reaches onError', async () => {
    let resolve: (err: unknown) => void = () => {}
    const promise = new Promise<unknown>((r) => {
      resolve = r
    })
    const bus = new EventBus({ onError: (err) => resolve(err) })
    bus.subscribe('t', async () => {
      throw new Error('async boom')
    })
    bus.publish('t', 1)
    expect(await promise).toEqual(new Error('async boom'))
  })

  it('by default logs the first error of each topic once', () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    const bus = new EventBus()
    bus.subscribe('#', () => {
      throw new Error('x')
    })
    bus.publish('a', 1)
    bus.publish('a', 2)
    bus.publish('b', 3)
    expect(log).toHaveBeenCalledTimes(2)
    expect(String(log.mock.calls[0]![0])).toContain("'a'")
    expect(String(log.mock.calls[1]![0])).toContain("'b'")
  })

  it('a throwing onError does not break delivery', () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {})
    const bus = new EventBus({
      onError: () => {
        throw new Error('hook')
      },
    })
    let reached = false
    bus.subscribe('t', () => {
      throw new Error('handler')
    })
    bus.subscribe('t', () => {
      reached = true
    })
    bus.publish('t', 1)
    expect(reached).toBe(true)
    expect(log).toHaveBeenCalledOnce()
  })
})

describe('counts and stats', () => {
  it('tracks sizes, topics, hasSubscribers and matchCount through subscribe and unsubscribe', () => {
    const bus = new EventBus({ separator: ':' })
    expect(bus.size).toBe(0)
    expect(bus.topics()).toEqual([])
    const a = bus.subscribe('room:1:message', () => {})
    const b = bus.subscribe('room:1:message', () => {})
    const c = bus.subscribe('room:*:message', () => {})
    const d = bus.subscribe('room:#', () => {})
    expect(bus.size).toBe(4)
    expect(bus.subscriptionCount()).toBe(4)
    expect(bus.subscriptionCount('room:1:message')).toBe(2)
    expect(bus.subscriptionCount('room:*:message')).toBe(1)
    expect(bus.subscriptionCount('room:2:message')).toBe(0)
    expect(bus.topics().sort()).toEqual(['room:#', 'room:*:message', 'room:1:message'])
    expect(bus.matchCount('room:1:message')).toBe(4)
    expect(bus.matchCount('room:2:message')).toBe(2)
    expect(bus.matchCount('room')).toBe(1)
    expect(bus.matchCount('lobby')).toBe(0)
    expect(bus.hasSubscribers('room:9:typing')).toBe(true)
    expect(bus.hasSubscribers('lobby:1')).toBe(false)

    d.unsubscribe()
    expect(bus.hasSubscribers('room:9:typing')).toBe(false)
    expect(bus.hasSubscribers('room:9:message')).toBe(true)
    c.unsubscribe()
    a.unsubscribe()
    expect(bus.topics()).toEqual(['room:1:message'])
    expect(bus.hasSubscribers('room:1:message')).toBe(true)
    expect(bus.hasSubscribers('room:9:message')).toBe(false)
    b.unsubscribe()
    expect(bus.size).toBe(0)
    expect(bus.topics()).toEqual([])
    expect(bus.publish('room:1:message', 1)).toBe(0)
  })

  it('re-subscribing a pattern after its trie branch was pruned works', () => {
    const bus = new EventBus()
    for (let round = 0; round < 3; round++) {
      const got: string[] = []
      const s = bus.subscribe('a.*.c.#', (_m, t) => void got.push(t))
      bus.publish('a.b.c', 1)
      bus.publish('a.b.c.d.e', 1)
      expect(got).toEqual(['a.b.c', 'a.b.c.d.e'])
      s.unsubscribe()
      expect(bus.hasSubscribers('a.b.c')).toBe(false)
    }
  })

  it('close drops every subscription and refuses further use', async () => {
    const bus = new EventBus()
    const s = bus.subscribe('a.#', () => {})
    bus.subscribe('b', () => {})
    await bus.close()
    expect(bus.size).toBe(0)
    expect(s.active).toBe(false)
    expect(() => bus.publish('a', 1)).toThrowError(expect.objectContaining({ code: 'CLOSED' }))
    expect(() => bus.subscribe('a', () => {})).toThrowError(expect.objectContaining({ code: 'CLOSED' }))
  })

  it('keeps instances independent (no module-level state)', () => {
    const one = new EventBus()
    const two = new EventBus()
    const s = one.subscribe('t', () => {})
    expect(two.size).toBe(0)
    expect(two.publish('t', 1)).toBe(0)
    expect(s.id).toBe(1)
    expect(two.subscribe('t', () => {}).id).toBe(1)
  })
})
