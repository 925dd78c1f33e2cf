import { asyncStore, Recorder } from '@hubbub/rooms/conformance'
import { describe, expect, test } from 'vitest'
import { MemoryRoomLog } from '../src/MemoryRoomLog.js'
import type { LogListener } from '../src/RoomLog.js'

/** A store that records the order calls reach it, and calls back what it is given. */
class Probe {
  readonly applied: number[] = []
  #secret = 'private fields work'
  call(i: number): number {
    this.applied.push(i)
    return i * 2
  }
  fail(): never {
    throw new Error(this.#secret)
  }
  emit(fn: LogListener, count: number): void {
    for (let i = 1; i <= count; i++) fn('r', { type: 'x', offset: i })
  }
  same(fn: unknown): unknown {
    return fn
  }
  get size(): number {
    return this.applied.length
  }
}

describe('asyncStore', () => {
  test('every method answers a promise of the inner result; throws become rejections', async () => {
    const store = asyncStore(new Probe())
    const answer = store.call(21)
    expect(answer).toBeInstanceOf(Promise)
    expect(await answer).toBe(42)
    await expect(store.fail()).rejects.toThrow('private fields work')
    expect(store.size).toBe(1)
  })

  test('calls in flight together reach the store in any order, and every one of them once', async () => {
    const inner = new Probe()
    const store = asyncStore(inner)
    const calls = Array.from({ length: 50 }, (_, i) => i)
    expect(await Promise.all(calls.map((i) => store.call(i)))).toEqual(calls.map((i) => i * 2))
    expect([...inner.applied].sort((x, y) => x - y)).toEqual(calls)
    // 50 random delays landing in call order would be a broken wrapper, not luck.
    expect(inner.applied).not.toEqual(calls)
  })

  test('a function passed in is called later, in the order the store called it', async () => {
    const store = asyncStore(new Probe())
    const rec = new Recorder()
    await store.emit(rec.listener, 30)
    await rec.received(30)
    expect(rec.offsets).toEqual(Array.from({ length: 30 }, (_, i) => i + 1))
  })

  test('the store sees one wrapper per function, so open and close pair up', async () => {
    const store = asyncStore(new Probe())
    const fn = () => {}
    const a = await store.same(fn)
    const b = await store.same(fn)
    expect(a).toBe(b)
    expect(a).not.toBe(fn)
  })

  test('a wrapped MemoryRoomLog delivers after publish was applied, never inside the call', async () => {
    const inner = new MemoryRoomLog()
    const log = asyncStore(inner)
    const rec = new Recorder()
    await log.open('r', rec.listener)
    const position = await log.publish('r', { type: 't' })
    // The inner log delivered synchronously to the wrapper; the real listener is reached later.
    inner.publish('r', { type: 'u' })
    expect(rec.offsets).not.toContain(position.offset + 1)
    await rec.received(2)
    expect(rec.offsets).toEqual([position.offset, position.offset + 1])
  })
})
