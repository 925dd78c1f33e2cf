import type { SequencedFrame } from '@hubbub/rooms'
import { afterAll, describe, expect, it } from 'vitest'
import { RedisRoomLog } from '../src/index.js'
import { deletePrefix, REDIS_URL, redisSkipReason, uniquePrefix } from './redisEnv.js'

const prefix = uniquePrefix('log-batch')

/** Resolves once `frames` holds `count` frames (each listener call pushes one). */
function collector() {
  const frames: SequencedFrame[] = []
  let want = Number.POSITIVE_INFINITY
  let done: (() => void) | undefined
  const listener = (_roomId: string, frame: SequencedFrame) => {
    frames.push(frame)
    if (frames.length >= want) done?.()
  }
  const until = (count: number) =>
    new Promise<SequencedFrame[]>((resolve) => {
      want = count
      done = () => resolve(frames)
      if (frames.length >= count) resolve(frames)
    })
  return { frames, listener, until }
}

describe.skipIf(redisSkipReason !== undefined)('RedisRoomLog: publishes of one turn in one batch', () => {
  afterAll(() => deletePrefix(prefix))

  it('sequences a turn of publishes, keyed and not, with consecutive offsets, delivered in order on both nodes', async () => {
    const a = new RedisRoomLog({ redis: REDIS_URL, prefix, historySize: 50 })
    const b = new RedisRoomLog({ redis: REDIS_URL, prefix, historySize: 50 })
    try {
      const onA = collector()
      const onB = collector()
      const start = await a.open('r1', onA.listener)
      await b.open('r1', onB.listener)
      const frame = (n: number) => ({
        type: 'message',
        roomId: 'r1',
        text: `m${n}`,
        bytes: new Uint8Array([n]),
      })
      // One turn: 5 frames, the 3rd and 5th with the same key (a resend within the batch).
      const positions = await Promise.all([
        a.publish('r1', frame(0)),
        a.publish('r1', frame(1), { key: 'k1' }),
        a.publish('r1', frame(2), { key: 'dup' }),
        a.publish('r1', frame(3)),
        a.publish('r1', frame(4), { key: 'dup' }),
      ])
      const base = start.offset
      expect(positions.map((p) => p.offset)).toEqual([base + 1, base + 2, base + 3, base + 4, base + 3])
      expect(new Set(positions.map((p) => p.epoch))).toEqual(new Set([start.epoch]))
      for (const got of [await onA.until(4), await onB.until(4)]) {
        expect(got.map((f) => [f.offset, f.text])).toEqual([
          [base + 1, 'm0'],
          [base + 2, 'm1'],
          [base + 3, 'm2'],
          [base + 4, 'm3'],
        ])
        expect(Array.from(got[3]!.bytes as Uint8Array)).toEqual([3])
      }
      // A resend of a key from that batch in a later turn is not sequenced again.
      expect((await a.publish('r1', frame(9), { key: 'k1' })).offset).toBe(base + 2)
      // The stream holds the batch like single publishes: recovery from the start reads it back.
      const read = await b.read('r1', { since: start, limit: 10 })
      expect(read.recovered).toBe(true)
      expect(read.messages.map((f) => f.text)).toEqual(['m0', 'm1', 'm2', 'm3'])
      // The next single publish follows the batch, and a node with maxPublishBatch 1 interleaves.
      const c = new RedisRoomLog({ redis: REDIS_URL, prefix, historySize: 50, maxPublishBatch: 1 })
      try {
        expect((await c.publish('r1', frame(5))).offset).toBe(base + 5)
        const got = await onB.until(5)
        expect(got[4]).toMatchObject({ offset: base + 5, text: 'm5' })
      } finally {
        await c.disconnect()
      }
    } finally {
      await Promise.all([a.disconnect(), b.disconnect()])
    }
  })

  it('splits a turn longer than maxPublishBatch into several calls, in order', async () => {
    const a = new RedisRoomLog({ redis: REDIS_URL, prefix, historySize: 50, maxPublishBatch: 3 })
    try {
      const on = collector()
      const start = await a.open('r2', on.listener)
      const positions = await Promise.all(
        Array.from({ length: 8 }, (_, n) =>
          a.publish('r2', { type: 'message', roomId: 'r2', text: `m${n}` }),
        ),
      )
      expect(positions.map((p) => p.offset - start.offset)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
      const got = await on.until(8)
      expect(got.map((f) => f.text)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7'])
    } finally {
      await a.disconnect()
    }
  })
})
