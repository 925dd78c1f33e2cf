import { describe, expect, test } from 'vitest'

// The page's own module (plain JavaScript served as is), loaded the way the browser would.
interface Msg {
  kind?: string
  epoch?: string
  offset?: number
  from: string
  text: string
  timestamp: number
}
const { sameMessage, holds } = (await import(new URL('../public/js/messages.js', import.meta.url).href)) as {
  sameMessage(a: Msg, b: Msg): boolean
  holds(entries: Msg[], message: Msg, except?: Msg): boolean
}

const msg = (over: Partial<Msg>): Msg => ({ from: 'ann', text: 'hi', timestamp: 1_000, ...over })

describe('sameMessage: which room message on screen an arriving one is', () => {
  test('the same offset in the same epoch is the same message', () => {
    expect(sameMessage(msg({ epoch: 'e1', offset: 3 }), msg({ epoch: 'e1', offset: 3 }))).toBe(true)
    expect(sameMessage(msg({ epoch: 'e1', offset: 3 }), msg({ epoch: 'e1', offset: 4 }))).toBe(false)
  })

  test('after the room lost its history, offsets start again: offset 1 of the new epoch is a new message', () => {
    const before = msg({ epoch: 'old', offset: 1, text: 'Is the deploy done?' })
    // Even with the same sender and text: a different epoch is a different message.
    expect(sameMessage(before, msg({ epoch: 'new', offset: 1, text: 'Is the deploy done?' }))).toBe(false)
    expect(sameMessage(before, msg({ epoch: 'new', offset: 1, text: 'Back after SIGTERM.' }))).toBe(false)
  })

  test('where an epoch is unknown, the offset must come with the same sender, time and text', () => {
    const known = msg({ epoch: 'e1', offset: 2 })
    expect(sameMessage(known, msg({ offset: 2 }))).toBe(true)
    expect(sameMessage(msg({ offset: 2 }), known)).toBe(true)
    expect(sameMessage(known, msg({ offset: 2, text: 'other' }))).toBe(false)
    expect(sameMessage(known, msg({ offset: 2, from: 'bob' }))).toBe(false)
    expect(sameMessage(known, msg({ offset: 2, timestamp: 2_000 }))).toBe(false)
  })

  test('a message still sending (no offset) matches nothing', () => {
    expect(sameMessage(msg({}), msg({}))).toBe(false)
    expect(sameMessage(msg({ epoch: 'e1' }), msg({ epoch: 'e1', offset: 1 }))).toBe(false)
  })
})

describe('holds', () => {
  const entries: Msg[] = [
    { kind: 'system', text: 'bob joined', from: '', timestamp: 0 },
    msg({ kind: 'message', epoch: 'old', offset: 1 }),
    msg({ kind: 'message', epoch: 'old', offset: 2, text: 'second' }),
  ]

  test('finds a message already shown, and only among messages', () => {
    expect(holds(entries, msg({ epoch: 'old', offset: 2, text: 'second' }))).toBe(true)
    expect(holds(entries, msg({ epoch: 'new', offset: 2, text: 'second' }))).toBe(false)
    expect(holds(entries, msg({ epoch: 'new', offset: 1 }))).toBe(false)
  })

  test('leaves out the entry being confirmed', () => {
    const pending = entries[2]!
    expect(holds(entries, msg({ epoch: 'old', offset: 2, text: 'second' }), pending)).toBe(false)
  })
})
