import { describe, expect, test } from 'vitest'
import type { OutgoingFrame } from '../src/defineRoom.js'
import { MemoryRoomLog } from '../src/MemoryRoomLog.js'
import { RoomError } from '../src/RoomError.js'
import type { LogListener, SequencedFrame } from '../src/RoomLog.js'

const frame = (i: number): OutgoingFrame => ({ type: 'chat', text: `m${i}`, i })

function recorder() {
  const got: { roomId: string; offset: number }[] = []
  const listener: LogListener = (roomId, f) => {
    got.push({ roomId, offset: f.offset })
  }
  return { got, listener, offsets: () => got.map((g) => g.offset) }
}

function filled(size: number, count: number, retain = false) {
  const log = new MemoryRoomLog({ size, retain })
  const { epoch } = log.open('r', () => {})
  for (let i = 1; i <= count; i++) log.publish('r', frame(i))
  return { log, epoch }
}

describe('MemoryRoomLog', () => {
  test('is synchronous: publish answers a position and has delivered before it returns', () => {
    const log = new MemoryRoomLog()
    const rec = recorder()
    const opened = log.open('r', rec.listener)
    expect(opened).toEqual({ epoch: expect.stringMatching(/^[\w-]{8,}$/), offset: 0 })
    expect(log.publish('r', frame(1))).toEqual({ epoch: opened.epoch, offset: 1 })
    expect(rec.got).toEqual([{ roomId: 'r', offset: 1 }])
    expect(log.read('r', { limit: 5 }).messages).toEqual([{ ...frame(1), offset: 1 }])
  })

  test('the ring keeps the last `size` frames and rolls over (size 3)', () => {
    const { log, epoch } = filled(3, 5)
    expect(log.read('r', { limit: 10 }).messages.map((m) => m.offset)).toEqual([3, 4, 5])
    expect(log.read('r', { limit: 2 }).messages.map((m) => m.offset)).toEqual([4, 5])
    expect(log.read('r', { since: { epoch, offset: 2 }, limit: 1 })).toMatchObject({ recovered: true })
    expect(log.read('r', { since: { epoch, offset: 2 }, limit: 1 }).messages.map((m) => m.offset)).toEqual([
      3, 4, 5,
    ])
    expect(log.read('r', { since: { epoch, offset: 1 }, limit: 10 })).toMatchObject({ recovered: false })
    log.publish('r', frame(6))
    expect(log.read('r', { limit: 10 }).messages.map((m) => m.offset)).toEqual([4, 5, 6])
    expect(log.read('r', { since: { epoch, offset: 2 }, limit: 10 }).recovered).toBe(false)
    expect(log.read('r', { since: { epoch, offset: 3 }, limit: 10 }).recovered).toBe(true)
  })

  test('size 0 keeps nothing: only a client at the top recovers', () => {
    const { log, epoch } = filled(0, 2)
    expect(log.read('r', { limit: 10 })).toEqual({ messages: [], top: { epoch, offset: 2 }, recovered: true })
    expect(log.read('r', { since: { epoch, offset: 2 }, limit: 10 }).recovered).toBe(true)
    expect(log.read('r', { since: { epoch, offset: 1 }, limit: 10 }).recovered).toBe(false)
  })

  test('refuses a size that is not a whole number >= 0', () => {
    for (const size of [-1, 1.5, Number.NaN]) {
      expect(() => new MemoryRoomLog({ size })).toThrow(RoomError)
    }
  })

  test('a negative or fractional since offset is not recovered', () => {
    const { log, epoch } = filled(10, 3)
    expect(log.read('r', { since: { epoch, offset: -1 }, limit: 10 }).recovered).toBe(false)
    expect(log.read('r', { since: { epoch, offset: 1.5 }, limit: 10 }).recovered).toBe(false)
  })

  test('without retain, the last close forgets the room: new epoch, offset 0, no frames', () => {
    const log = new MemoryRoomLog()
    const one = recorder()
    const two = recorder()
    const { epoch } = log.open('r', one.listener)
    log.open('r', two.listener)
    log.publish('r', frame(1))
    log.close('r', one.listener)
    // Another node still has it open.
    expect(log.open('r', one.listener)).toEqual({ epoch, offset: 1 })
    log.close('r', one.listener)
    log.close('r', two.listener)
    expect(log.size).toBe(0)
    const again = log.open('r', one.listener)
    expect(again.epoch).not.toBe(epoch)
    expect(again.offset).toBe(0)
    expect(log.read('r', { limit: 10 }).messages).toEqual([])
  })

  test('with retain, the room keeps its epoch, offset and frames after the last close', () => {
    const log = new MemoryRoomLog({ retain: true })
    const rec = recorder()
    const { epoch } = log.open('r', rec.listener)
    log.publish('r', frame(1))
    log.publish('r', frame(2))
    log.close('r', rec.listener)
    expect(log.size).toBe(1)
    expect(log.publish('r', frame(3))).toEqual({ epoch, offset: 3 })
    expect(rec.got).toHaveLength(2)
    expect(log.open('r', rec.listener)).toEqual({ epoch, offset: 3 })
    expect(log.read('r', { since: { epoch, offset: 0 }, limit: 1 }).messages.map((m) => m.offset)).toEqual([
      1, 2, 3,
    ])
  })

  test('a room only published to stays until a listener opens and closes it', () => {
    const log = new MemoryRoomLog()
    const rec = recorder()
    const { epoch } = log.publish('r', frame(1))
    log.close('r', rec.listener) // never opened: nothing happens
    expect(log.open('r', rec.listener)).toEqual({ epoch, offset: 1 })
    log.close('r', rec.listener)
    expect(log.size).toBe(0)
  })

  test('opening the same listener twice delivers once, and one close ends it', () => {
    const log = new MemoryRoomLog({ retain: true })
    const rec = recorder()
    log.open('r', rec.listener)
    log.open('r', rec.listener)
    log.publish('r', frame(1))
    expect(rec.offsets()).toEqual([1])
    log.close('r', rec.listener)
    log.publish('r', frame(2))
    expect(rec.offsets()).toEqual([1])
  })

  test('a listener that throws: the others still get the frame, the log stays consistent, publish rethrows', () => {
    const log = new MemoryRoomLog()
    const before = recorder()
    const after = recorder()
    const boom = new Error('fan-out bug')
    log.open('r', before.listener)
    const { epoch } = log.open('r', (_, f) => {
      if (f.offset === 1) throw boom
    })
    log.open('r', after.listener)
    expect(() => log.publish('r', frame(1))).toThrow(boom)
    expect(before.offsets()).toEqual([1])
    expect(after.offsets()).toEqual([1])
    expect(log.publish('r', frame(2))).toEqual({ epoch, offset: 2 })
    expect(after.offsets()).toEqual([1, 2])
    expect(log.read('r', { limit: 10 }).messages.map((m) => m.offset)).toEqual([1, 2])
  })

  test('several listeners that throw are reported together', () => {
    const log = new MemoryRoomLog()
    const rec = recorder()
    log.open('r', () => {
      throw new Error('one')
    })
    log.open('r', () => {
      throw new Error('two')
    })
    log.open('r', rec.listener)
    let caught: unknown
    try {
      log.publish('r', frame(1))
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(AggregateError)
    expect((caught as AggregateError).errors.map((e: Error) => e.message)).toEqual(['one', 'two'])
    expect(rec.offsets()).toEqual([1])
  })

  test('a publish from inside a listener is delivered after the current frame, so every listener sees offset order', () => {
    const log = new MemoryRoomLog()
    const first: number[] = []
    const second = recorder()
    const nested: number[] = []
    log.open('r', (_, f) => {
      first.push(f.offset)
      if (f.offset === 1) nested.push(log.publish('r', frame(2)).offset, log.publish('r', frame(3)).offset)
    })
    log.open('r', second.listener)
    log.publish('r', frame(1))
    expect(nested).toEqual([2, 3])
    expect(first).toEqual([1, 2, 3])
    expect(second.offsets()).toEqual([1, 2, 3])
    log.publish('r', frame(4))
    expect(second.offsets()).toEqual([1, 2, 3, 4])
  })

  test('open and close during a delivery take effect from the next frame', () => {
    const log = new MemoryRoomLog({ retain: true })
    const late = recorder()
    const leaving = recorder()
    let answered: { epoch: string; offset: number } | undefined
    log.open('r', (_, f) => {
      if (f.offset === 1) {
        answered = log.open('r', late.listener)
        log.close('r', leaving.listener)
      }
    })
    log.open('r', leaving.listener)
    const { epoch } = log.publish('r', frame(1))
    // The frame being delivered went to those open when it was published.
    expect(answered).toEqual({ epoch, offset: 1 })
    expect(late.offsets()).toEqual([])
    expect(leaving.offsets()).toEqual([1])
    log.publish('r', frame(2))
    expect(late.offsets()).toEqual([2])
    expect(leaving.offsets()).toEqual([1])
  })

  test("a frame's own offset field is replaced by the one the log assigns", () => {
    const log = new MemoryRoomLog()
    let got: SequencedFrame | undefined
    log.open('r', (_, f) => {
      got = f
    })
    log.publish('r', { type: 'x', offset: 99 })
    expect(got).toEqual({ type: 'x', offset: 1 })
  })
})
