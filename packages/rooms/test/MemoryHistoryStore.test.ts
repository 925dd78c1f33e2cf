import { describe, expect, test } from 'vitest'
import { MemoryHistoryStore } from '../src/MemoryHistoryStore.js'

const msg = (offset: number) => ({ offset, from: 'ann', text: `m${offset}`, timestamp: 1000 + offset })

function filled(size: number, count: number) {
  const store = new MemoryHistoryStore({ size })
  const pos = store.open('r', { fresh: false })
  for (let i = 1; i <= count; i++) store.append('r', msg(i))
  return { store, epoch: pos.epoch }
}

describe('MemoryHistoryStore', () => {
  test('a new room starts at offset 0 with an epoch, and reopening keeps both', () => {
    const store = new MemoryHistoryStore()
    const a = store.open('r', { fresh: false })
    expect(a.offset).toBe(0)
    expect(a.epoch).toMatch(/^[\w-]{8,}$/)
    store.append('r', msg(1))
    expect(store.open('r', { fresh: false })).toEqual({ epoch: a.epoch, offset: 1 })
  })

  test('fresh open starts a new epoch and drops the tail', () => {
    const { store, epoch } = filled(10, 3)
    const b = store.open('r', { fresh: true })
    expect(b.epoch).not.toBe(epoch)
    expect(b.offset).toBe(0)
    expect(store.recent('r', 50)).toEqual([])
  })

  test('recent returns the last N oldest first, bounded by the ring', () => {
    const { store } = filled(5, 8)
    expect(store.recent('r', 3).map((m) => m.offset)).toEqual([6, 7, 8])
    expect(store.recent('r', 50).map((m) => m.offset)).toEqual([4, 5, 6, 7, 8])
    expect(store.recent('nope', 50)).toEqual([])
  })

  test('since returns exactly the missing offsets', () => {
    const { store, epoch } = filled(5, 8)
    const r = store.since('r', { epoch, offset: 5 })
    expect(r.recovered && r.messages.map((m) => m.offset)).toEqual([6, 7, 8])
    expect(store.since('r', { epoch, offset: 8 })).toEqual({ recovered: true, messages: [] })
    const all = store.since('r', { epoch, offset: 3 })
    expect(all.recovered && all.messages.map((m) => m.offset)).toEqual([4, 5, 6, 7, 8])
  })

  test('since answers recovered:false after rollover, on another epoch, or from the future', () => {
    const { store, epoch } = filled(5, 8)
    expect(store.since('r', { epoch, offset: 2 })).toEqual({ recovered: false })
    expect(store.since('r', { epoch: 'other', offset: 7 })).toEqual({ recovered: false })
    expect(store.since('r', { epoch, offset: 9 })).toEqual({ recovered: false })
    expect(store.since('unknown', { epoch, offset: 0 })).toEqual({ recovered: false })
  })

  test('close forgets a room unless retainOnClose', () => {
    const { store, epoch } = filled(5, 2)
    store.close('r')
    expect(store.size).toBe(0)
    expect(store.open('r', { fresh: false }).epoch).not.toBe(epoch)
    const kept = new MemoryHistoryStore({ retainOnClose: true })
    const p = kept.open('r', { fresh: false })
    kept.append('r', msg(1))
    kept.close('r')
    expect(kept.open('r', { fresh: false })).toEqual({ epoch: p.epoch, offset: 1 })
  })
})
