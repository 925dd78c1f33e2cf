import { describe, expect, test } from 'vitest'
import type { OutgoingFrame } from '../defineRoom.js'
import type { LogPosition, RoomLog } from '../RoomLog.js'
import { Recorder } from './Recorder.js'
import { roomIds, type StoreTarget, useStore } from './target.js'

/** A `RoomLog` under test. */
export interface RoomLogTarget extends StoreTarget<RoomLog> {
  /**
   * How many frames the log keeps per room, exactly (at least 10): the kit publishes more to
   * check both sides of that boundary. Omit when the log keeps every frame (that test is skipped).
   */
  keeps?: number
  /** How long to wait for a listener's deliveries before failing. Default 5,000 ms. */
  deliveryTimeoutMs?: number
  /**
   * The log keeps binary values (`Uint8Array`) as bytes, in deliveries and reads (a Yjs room's
   * updates need it): checked when true. Default false (a log that stores JSON cannot).
   */
  binaryPayloads?: boolean
}

const frame = (i: number, more: Record<string, unknown> = {}): OutgoingFrame => ({
  type: 'chat',
  text: `m${i}`,
  i,
  ...more,
})

const range = (from: number, to: number): number[] =>
  Array.from({ length: Math.max(0, to - from + 1) }, (_, k) => from + k)

/**
 * Registers the `RoomLog` conformance suite (vitest `describe`/`test`) for one implementation.
 * Every store call is awaited and no test assumes when a listener is called, so an asynchronous
 * log (or `asyncStore(log)`) passes as a synchronous one does. Two listeners on one log stand
 * for two nodes. Each test uses its own room ids and closes the listeners it opened.
 */
export function roomLogConformance(target: RoomLogTarget): void {
  const keeps = target.keeps
  if (keeps !== undefined && (!Number.isInteger(keeps) || keeps < 10)) {
    throw new Error(`roomLogConformance: keeps must be a whole number >= 10, got ${keeps}`)
  }
  const room = roomIds('log')
  const timeoutMs = target.deliveryTimeoutMs

  async function setup() {
    const { store: log, teardown } = await useStore(target)
    const open = new Set<{ roomId: string; rec: Recorder }>()
    teardown(async () => {
      for (const o of open) await log.close(o.roomId, o.rec.listener)
    })
    return {
      log,
      /** A listener (a node's; a new one unless given) on `roomId`; closed when the test ends. */
      async listen(
        roomId: string,
        rec = new Recorder(timeoutMs),
      ): Promise<{ rec: Recorder; position: LogPosition; close(): Promise<void> }> {
        const entry = { roomId, rec }
        open.add(entry)
        const position = await log.open(roomId, rec.listener)
        return {
          rec,
          position,
          async close() {
            open.delete(entry)
            await log.close(roomId, rec.listener)
          },
        }
      },
      /** Publishes `count` frames one after the other, each awaited; answers their positions. */
      async publishMany(roomId: string, count: number, first = 1): Promise<LogPosition[]> {
        const out: LogPosition[] = []
        for (let i = first; i < first + count; i++) out.push(await log.publish(roomId, frame(i)))
        return out
      },
    }
  }

  describe(`RoomLog conformance: ${target.name}`, () => {
    describe('publish', () => {
      test('assigns offsets 1, 2, 3 in a room, in one epoch', async () => {
        const { publishMany } = await setup()
        const positions = await publishMany(room('a'), 3)
        expect(positions.map((p) => p.offset)).toEqual([1, 2, 3])
        const epoch = positions[0]!.epoch
        expect(typeof epoch).toBe('string')
        expect(epoch.length).toBeGreaterThan(0)
        expect(positions.every((p) => p.epoch === epoch)).toBe(true)
      })

      test('rooms are sequenced independently', async () => {
        const { log, listen } = await setup()
        const a = room('a')
        const b = room('b')
        const node = await listen(a)
        expect((await log.publish(a, frame(1))).offset).toBe(1)
        expect((await log.publish(a, frame(2))).offset).toBe(2)
        expect((await log.publish(b, frame(3))).offset).toBe(1)
        expect((await log.publish(a, frame(4))).offset).toBe(3)
        await node.rec.reached(3)
        expect(node.rec.deliveries.map((d) => [d.roomId, d.frame.i])).toEqual([
          [a, 1],
          [a, 2],
          [a, 4],
        ])
        const readB = await log.read(b, { limit: 10 })
        expect(readB.messages).toEqual([{ ...frame(3), offset: 1 }])
        expect(readB.top.offset).toBe(1)
      })

      test('stores and delivers the frame as given plus its offset, leaving the argument alone', async () => {
        const { log, listen } = await setup()
        const r = room('r')
        const node = await listen(r)
        const given = frame(1, { from: 'ann', meta: { tags: ['x', 'y'], n: 2.5, ok: true, none: null } })
        const copy = structuredClone(given)
        const position = await log.publish(r, given)
        expect(given).toEqual(copy)
        await node.rec.received(1)
        expect(node.rec.deliveries).toEqual([{ roomId: r, frame: { ...copy, offset: 1 } }])
        const read = await log.read(r, { limit: 10 })
        expect(read.messages).toEqual([{ ...copy, offset: 1 }])
        expect(read.top).toEqual(position)
      })

      test.runIf(target.binaryPayloads === true)(
        'a binary payload is delivered and read back as the same bytes',
        async () => {
          const { log, listen } = await setup()
          const r = room('r')
          const node = await listen(r)
          // Every byte value, a newline among them (the bytes must not be taken for text).
          const bytes = Uint8Array.from({ length: 300 }, (_, k) => (k * 7 + 10) % 256)
          await log.publish(r, frame(1, { update: bytes, nested: { data: new Uint8Array([0, 10, 255]) } }))
          await node.rec.received(1)
          const check = (got: OutgoingFrame) => {
            expect(got.update).toBeInstanceOf(Uint8Array)
            expect([...(got.update as Uint8Array)]).toEqual([...bytes])
            const nested = (got.nested as { data: unknown }).data
            expect(nested).toBeInstanceOf(Uint8Array)
            expect([...(nested as Uint8Array)]).toEqual([0, 10, 255])
            expect(got.offset).toBe(1)
          }
          check(node.rec.deliveries[0]!.frame)
          const read = await log.read(r, { limit: 10 })
          expect(read.messages).toHaveLength(1)
          check(read.messages[0]!)
        },
      )

      test('delivers the publisher its own frames, in offset order', async () => {
        const { log, listen, publishMany } = await setup()
        const r = room('r')
        const node = await listen(r)
        expect(node.position.offset).toBe(0)
        const positions = await publishMany(r, 5)
        await node.rec.received(5)
        expect(node.rec.offsets).toEqual([1, 2, 3, 4, 5])
        expect(node.rec.frames).toEqual(range(1, 5).map((i) => ({ ...frame(i), offset: i })))
        expect(node.rec.deliveries.every((d) => d.roomId === r)).toBe(true)
        expect(positions.every((p) => p.epoch === node.position.epoch)).toBe(true)
        expect((await log.read(r, { limit: 10 })).top).toEqual({ epoch: node.position.epoch, offset: 5 })
      })

      test('concurrent publishes get distinct offsets, and each frame is delivered at the offset its publish answered', async () => {
        const { log, listen } = await setup()
        const r = room('r')
        const node = await listen(r)
        const positions = await Promise.all(range(1, 10).map((i) => log.publish(r, frame(i))))
        expect(positions.map((p) => p.offset).sort((x, y) => x - y)).toEqual(range(1, 10))
        await node.rec.received(10)
        expect(node.rec.offsets).toEqual(range(1, 10))
        for (const [k, p] of positions.entries()) {
          expect(node.rec.frames[p.offset - 1]).toEqual({ ...frame(k + 1), offset: p.offset })
        }
      })

      test('two nodes on one room receive one identical sequence under interleaved publishes', async () => {
        const { log, listen } = await setup()
        const r = room('r')
        const one = await listen(r)
        const two = await listen(r)
        expect(two.position).toEqual(one.position)
        const node = async (name: string) => {
          const out: LogPosition[] = []
          for (let i = 1; i <= 10; i++) out.push(await log.publish(r, frame(i, { node: name })))
          return out
        }
        const [fromOne, fromTwo] = await Promise.all([node('one'), node('two')])
        await Promise.all([one.rec.received(20), two.rec.received(20)])
        expect(one.rec.offsets).toEqual(range(1, 20))
        expect(two.rec.deliveries).toEqual(one.rec.deliveries)
        for (const [name, answered] of [
          ['one', fromOne],
          ['two', fromTwo],
        ] as const) {
          // Each node's frames keep that node's publish order, at the offsets it was answered.
          const mine = one.rec.frames.filter((f) => f.node === name)
          expect(mine.map((f) => f.i)).toEqual(range(1, 10))
          expect(mine.map((f) => f.offset)).toEqual(answered.map((p) => p.offset))
        }
      })

      test('publish to a room nobody has open still sequences and stores', async () => {
        const { log, publishMany } = await setup()
        const r = room('r')
        const positions = await publishMany(r, 2)
        expect(positions.map((p) => p.offset)).toEqual([1, 2])
        const read = await log.read(r, { limit: 10 })
        expect(read.messages.map((m) => m.offset)).toEqual([1, 2])
        expect(read.top).toEqual(positions[1])
      })
      test('a publish with a key the room saw recently answers the first position and is not sequenced again', async () => {
        const { log, listen } = await setup()
        const r = room('r')
        const other = room('o')
        const node = await listen(r)
        const first = await log.publish(r, frame(1), { key: 'conn:1:0' })
        expect(await log.publish(r, frame(2), { key: 'conn:2:0' })).toMatchObject({ offset: 2 })
        // The same key again (a resend): the first answer, nothing stored or delivered.
        expect(await log.publish(r, frame(1), { key: 'conn:1:0' })).toEqual(first)
        // Keys are per room, and a publish without a key is never deduplicated.
        expect((await log.publish(other, frame(1), { key: 'conn:1:0' })).offset).toBe(1)
        expect((await log.publish(r, frame(3))).offset).toBe(3)
        expect((await log.publish(r, frame(3))).offset).toBe(4)
        await node.rec.received(4)
        expect(node.rec.frames.map((f) => [f.offset, f.i])).toEqual([
          [1, 1],
          [2, 2],
          [3, 3],
          [4, 3],
        ])
        const read = await log.read(r, { limit: 10 })
        expect(read.messages.map((m) => m.i)).toEqual([1, 2, 3, 3])
        expect(read.top.offset).toBe(4)
      })
    })

    describe('open', () => {
      test('answers the current position; the listener gets what is published after it', async () => {
        const { log, listen, publishMany } = await setup()
        const r = room('r')
        const before = await publishMany(r, 3)
        const node = await listen(r)
        expect(node.position).toEqual(before[2])
        await log.publish(r, frame(4))
        await node.rec.reached(4)
        expect(node.rec.offsets).toEqual([4])
      })

      test('a new room opens at offset 0, and its first publish is offset 1 in that epoch', async () => {
        const { log, listen } = await setup()
        const r = room('r')
        const node = await listen(r)
        expect(node.position.offset).toBe(0)
        expect(node.position.epoch.length).toBeGreaterThan(0)
        expect(await log.publish(r, frame(1))).toEqual({ epoch: node.position.epoch, offset: 1 })
      })

      test('opening again with the same listener keeps one listener (a restarted room actor)', async () => {
        const { log, listen } = await setup()
        const r = room('r')
        const node = await listen(r)
        const marker = await listen(r)
        await log.publish(r, frame(1))
        expect(await log.open(r, node.rec.listener)).toEqual({ epoch: node.position.epoch, offset: 1 })
        await log.publish(r, frame(2))
        // Deliveries keep order, so a second copy of frame 2 would come before frame 3.
        await log.publish(r, frame(3))
        await node.rec.reached(3)
        expect(node.rec.offsets).toEqual([1, 2, 3])
        // One close ends it.
        await node.close()
        await log.publish(r, frame(4))
        await marker.rec.reached(4)
        expect(marker.rec.offsets).toEqual([1, 2, 3, 4])
        expect(node.rec.offsets).toEqual([1, 2, 3])
      })

      test('a node opening while another publishes misses nothing after the position it was answered', async () => {
        const { log, listen } = await setup()
        const r = room('r')
        const publisher = (async () => {
          for (let i = 1; i <= 10; i++) await log.publish(r, frame(i))
        })()
        const late = await listen(r)
        await publisher
        // The open may answer only after the publisher is done (a slow subscription, say on a
        // Cluster shard): one more frame makes every run wait for a delivery after the position.
        await log.publish(r, frame(11))
        await late.rec.reached(11)
        const offsets = late.rec.offsets
        // Frames at or before the answered position may come too (a subscription opened first).
        expect(offsets).toEqual([...offsets].sort((x, y) => x - y))
        expect(offsets.filter((o) => o > late.position.offset)).toEqual(range(late.position.offset + 1, 11))
      })
    })

    describe('read', () => {
      test('without since: the last `limit` frames, oldest first, and the top', async () => {
        const { log, publishMany } = await setup()
        const r = room('r')
        const positions = await publishMany(r, 5)
        const three = await log.read(r, { limit: 3 })
        expect(three.messages).toEqual(range(3, 5).map((i) => ({ ...frame(i), offset: i })))
        expect(three.top).toEqual(positions[4])
        expect(three.recovered).toBe(true)
        const all = await log.read(r, { limit: 50 })
        expect(all.messages.map((m) => m.offset)).toEqual([1, 2, 3, 4, 5])
        expect(all.recovered).toBe(true)
      })

      test('an empty room reads as nothing at offset 0', async () => {
        const { log } = await setup()
        const read = await log.read(room('r'), { limit: 10 })
        expect(read.messages).toEqual([])
        expect(read.top.offset).toBe(0)
        expect(read.recovered).toBe(true)
      })

      test('since: recovers exactly the frames after it, whatever the limit', async () => {
        const { log, publishMany } = await setup()
        const r = room('r')
        const positions = await publishMany(r, 5)
        const { epoch } = positions[0]!
        const after2 = await log.read(r, { since: { epoch, offset: 2 }, limit: 1 })
        expect(after2.recovered).toBe(true)
        expect(after2.messages).toEqual(range(3, 5).map((i) => ({ ...frame(i), offset: i })))
        expect(after2.top).toEqual({ epoch, offset: 5 })
        const after0 = await log.read(r, { since: { epoch, offset: 0 }, limit: 2 })
        expect(after0.recovered).toBe(true)
        expect(after0.messages.map((m) => m.offset)).toEqual([1, 2, 3, 4, 5])
      })

      test('since at the top: recovered, with nothing missing', async () => {
        const { log, listen, publishMany } = await setup()
        const r = room('r')
        const node = await listen(r)
        const empty = await log.read(r, { since: node.position, limit: 10 })
        expect(empty).toEqual({ messages: [], top: node.position, recovered: true })
        const positions = await publishMany(r, 5)
        const read = await log.read(r, { since: positions[4]!, limit: 10 })
        expect(read).toEqual({ messages: [], top: positions[4], recovered: true })
      })

      test('since in another epoch: not recovered, with the recent frames', async () => {
        const { log, publishMany } = await setup()
        const r = room('r')
        const positions = await publishMany(r, 5)
        const { epoch } = positions[0]!
        const read = await log.read(r, { since: { epoch: `${epoch}-old`, offset: 2 }, limit: 2 })
        expect(read.recovered).toBe(false)
        expect(read.messages.map((m) => m.offset)).toEqual([4, 5])
        expect(read.top).toEqual({ epoch, offset: 5 })
        const atZero = await log.read(r, { since: { epoch: `${epoch}-old`, offset: 0 }, limit: 10 })
        expect(atZero.recovered).toBe(false)
        expect(atZero.messages.map((m) => m.offset)).toEqual([1, 2, 3, 4, 5])
      })

      test('since beyond the top: not recovered, with the recent frames', async () => {
        const { log, publishMany } = await setup()
        const r = room('r')
        const positions = await publishMany(r, 5)
        const { epoch } = positions[0]!
        const read = await log.read(r, { since: { epoch, offset: 6 }, limit: 3 })
        expect(read.recovered).toBe(false)
        expect(read.messages.map((m) => m.offset)).toEqual([3, 4, 5])
        expect(read.top).toEqual({ epoch, offset: 5 })
      })

      test.skipIf(keeps === undefined)(
        `since older than what the log keeps (${keeps ?? 'all'} frames): not recovered`,
        async () => {
          const k = keeps!
          const { log, publishMany } = await setup()
          const r = room('r')
          const positions = await publishMany(r, k + 3)
          const { epoch } = positions[0]!
          const top = { epoch, offset: k + 3 }
          const kept = await log.read(r, { limit: k + 10 })
          expect(kept.messages.map((m) => m.offset)).toEqual(range(4, k + 3))
          // Exactly the kept frames are missing: still recoverable.
          const edge = await log.read(r, { since: { epoch, offset: 3 }, limit: 1 })
          expect(edge.recovered).toBe(true)
          expect(edge.messages.map((m) => m.offset)).toEqual(range(4, k + 3))
          // One more is missing than is kept: gone.
          const gone = await log.read(r, { since: { epoch, offset: 2 }, limit: 2 })
          expect(gone).toEqual({
            messages: [
              { ...frame(k + 2), offset: k + 2 },
              { ...frame(k + 3), offset: k + 3 },
            ],
            top,
            recovered: false,
          })
          const first = await log.read(r, { since: { epoch, offset: 0 }, limit: 1 })
          expect(first.recovered).toBe(false)
          expect(first.messages.map((m) => m.offset)).toEqual([k + 3])
        },
      )
    })

    describe('close', () => {
      test('stops delivery to that listener only; the room goes on for the others', async () => {
        const { log, listen } = await setup()
        const r = room('r')
        const one = await listen(r)
        const two = await listen(r)
        const first = await log.publish(r, frame(1))
        await Promise.all([one.rec.received(1), two.rec.received(1)])
        await one.close()
        // The other node still has the room open: nothing was forgotten.
        expect(await log.publish(r, frame(2))).toEqual({ epoch: first.epoch, offset: 2 })
        expect(await log.publish(r, frame(3))).toEqual({ epoch: first.epoch, offset: 3 })
        await two.rec.reached(3)
        expect(two.rec.offsets).toEqual([1, 2, 3])
        expect(one.rec.offsets).toEqual([1])
        const read = await log.read(r, { since: first, limit: 10 })
        expect(read.recovered).toBe(true)
        expect(read.messages.map((m) => m.offset)).toEqual([2, 3])
      })

      test('after the last listener closed, offsets never repeat within an epoch', async () => {
        const { log, listen, publishMany } = await setup()
        const r = room('r')
        const node = await listen(r)
        const before = await publishMany(r, 3)
        const { epoch } = before[0]!
        await node.close()
        const again = await listen(r)
        if (again.position.epoch === epoch) {
          // Kept: it goes on where it was.
          expect(again.position.offset).toBe(3)
        } else {
          // Forgotten, and said so with a new epoch: recovery from the old one must fail.
          const read = await log.read(r, { since: before[2]!, limit: 10 })
          expect(read.recovered).toBe(false)
        }
        const next = await log.publish(r, frame(4))
        expect(next).toEqual({ epoch: again.position.epoch, offset: again.position.offset + 1 })
        await again.rec.reached(next.offset)
        expect(again.rec.offsets.filter((o) => o > again.position.offset)).toEqual([next.offset])
      })

      test('closing one room leaves the same listener open on another', async () => {
        const { log, listen } = await setup()
        const a = room('a')
        const b = room('b')
        // One listener on two rooms, as a node whose fan-out serves both.
        const onA = await listen(a)
        const onB = await listen(b, onA.rec)
        await onA.close()
        await log.publish(a, frame(1))
        await log.publish(b, frame(2))
        await onB.rec.received(1)
        expect(onB.rec.deliveries).toEqual([{ roomId: b, frame: { ...frame(2), offset: 1 } }])
      })
    })
  })
}
