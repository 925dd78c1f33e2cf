import { defineRoom } from '@hubbub/rooms'
import { afterAll, describe, expect, onTestFinished, test } from 'vitest'
import { z } from 'zod'
import { RedisRoomLog, readPublishedFrames } from '../src/RedisRoomLog.js'
import { client, placementNodes, redisClient, settle } from './placementNodes.js'
import { deletePrefix, REDIS_URL, redisSkipReason, uniquePrefix } from './redisEnv.js'

/**
 * A room that restores with `replay` replays the frames its owner appended to the log after the
 * last snapshot, even those of a move that was never acknowledged (the room was taken over between
 * the move's publish and its save). A resend of that move, with the same id, must then not be run
 * again: its effect is already in the restored state.
 */

const prefix = uniquePrefix('placement-replay')
const { inProcessNode, lease } = placementNodes(prefix)

/** A counter whose moves are sequenced through the log (`added`) and replayed on restore. */
const replayCounter = defineRoom({
  name: 'replay-counter',
  placement: 'owned',
  persist: true,
  messages: { add: z.object({ n: z.number().int() }) },
  init: () => ({ count: 0, moves: 0 }),
  onSync: (ctx, state) => {
    ctx.reply({ type: 'state', roomId: ctx.roomId, ...state })
  },
  onMessage: (ctx, message, state) => {
    const next = { count: state.count + message.n, moves: state.moves + 1 }
    ctx.publish({ type: 'added', n: message.n })
    ctx.broadcast({ type: 'state', roomId: ctx.roomId, ...next })
    ctx.reply({ type: 'ack', roomId: ctx.roomId, moves: next.moves })
    return { state: next }
  },
  replay: (state, frame) =>
    frame.type === 'added' ? { count: state.count + (frame.n as number), moves: state.moves + 1 } : state,
})

/** The same counter restored from its snapshot alone: a frame in the log after it is not applied. */
const { replay: _replay, ...snapshotOnly } = replayCounter
const snapshotCounter = { ...snapshotOnly, name: 'snapshot-counter' }

/**
 * ann (on a, the owner) makes a move with the user-keyed `id`; a publishes it to the log, then its
 * save waits (the seam: a slow save, or an owner paused past its lease) while its lease runs out and
 * a node takes the room over with fence 2 (a on its next renewal with a new copy, or b for bob's
 * move). Then a's save is refused and ann's move refused as retryable, the log holding its frame.
 */
async function takenOverBeforeSave(roomId: string, rooms: typeof replayCounter | typeof snapshotCounter) {
  const a = await inProcessNode(`${roomId}-a`, { rooms })
  const ann = await client(a.port, 'ann', [roomId])
  expect(a.placement.fenceOf(roomId)).toBe(1)
  const b = await inProcessNode(`${roomId}-b`, { rooms })
  const bob = await client(b.port, 'bob', [roomId])
  expect(await ann.answer({ type: 'add', roomId, n: 1 }, 'Pq8Rt2Lm5Xc9Vb3N-1')).toMatchObject({
    type: 'ack',
    moves: 1,
  })
  const redis = redisClient()
  const id = 'Pq8Rt2Lm5Xc9Vb3N-2'
  const saveFenced = a.state.saveFenced.bind(a.state)
  let held: (() => void) | undefined
  let once = true
  const reachedSave = new Promise<void>((resolve) => (held = resolve))
  a.state.saveFenced = async (room, fence, snapshot, frame) => {
    if (once && frame?.key.endsWith(id)) {
      once = false
      await redis.del(`{${prefix}:${roomId}}:lease`)
      held!()
      await expect.poll(() => lease(roomId), settle).toMatch(new RegExp(`^2 ${roomId}-[ab]$`))
    }
    return saveFenced(room, fence, snapshot, frame)
  }
  const move = { type: 'add', roomId, n: 10 }
  ann.send(move, id)
  await reachedSave
  const bobMove = await bob.answer({ type: 'add', roomId, n: 100 }, 'Hs4Kd7Wq1Zy6Fe2J-1')
  await expect
    .poll(() => ann.frames.find((f) => f.replyTo === id), settle)
    .toMatchObject({ type: 'error', code: 'UNAVAILABLE' })
  expect(a.placement.fenceOf(roomId)).not.toBe(1)
  const read = await a.log.read(roomId, { limit: 10 })
  expect(read.messages.map((m) => m.n)).toEqual([1, 10, 100])
  return { a, ann, bob, move, id, bobMove }
}

describe.skipIf(redisSkipReason !== undefined)('placement: a replayed move is not run again', () => {
  afterAll(() => deletePrefix(prefix))

  test('a fenced publish records the frame it came from, in the same step, keeping the last `keep`', async () => {
    const log = new RedisRoomLog({ redis: REDIS_URL, prefix })
    onTestFinished(() => log.disconnect())
    const redis = redisClient()
    const roomId = 'replay-log'
    await redis.set(`{${prefix}:${roomId}}:fence`, '1')
    const from = (key: string) => ({ key, keep: 2 })
    const p1 = await log.publishFenced(roomId, 1, { type: 'added', n: 1 }, from('k1'))
    // A frame with two publishes is recorded at the last one.
    await log.publishFenced(roomId, 1, { type: 'added', n: 2 }, from('k2'))
    const p3 = await log.publishFenced(roomId, 1, { type: 'added', n: 3 }, from('k2'))
    await log.publishFenced(roomId, 1, { type: 'added', n: 4 })
    expect(p1).not.toBe('stale')
    if (p1 === 'stale' || p3 === 'stale') return
    expect(await readPublishedFrames(redis, prefix, roomId)).toEqual([
      ['k1', { epoch: p1.epoch, offset: 1 }],
      ['k2', { epoch: p1.epoch, offset: 3 }],
    ])
    // A stale publish records nothing; past `keep` keys the oldest goes.
    await redis.set(`{${prefix}:${roomId}}:fence`, '2')
    expect(await log.publishFenced(roomId, 1, { type: 'added', n: 5 }, from('k3'))).toBe('stale')
    await log.publishFenced(roomId, 2, { type: 'added', n: 6 }, from('k4'))
    expect(await readPublishedFrames(redis, prefix, roomId)).toEqual([
      ['k2', { epoch: p3.epoch, offset: 3 }],
      ['k4', { epoch: p3.epoch, offset: 5 }],
    ])
  })

  test('a move published, then taken over before its save, is replayed by the new owner and its resend is not applied again', async () => {
    const roomId = 'replay-1'
    const { a, ann, bob, move, id, bobMove } = await takenOverBeforeSave(roomId, replayCounter)
    // The new owner restored the last snapshot and replayed ann's move from the log: bob's is the third.
    expect(bobMove).toMatchObject({ type: 'ack', moves: 3 })

    // ann resends it, same id: the new owner knows the replay applied it, and does not run it again.
    ann.send(move, id)
    // ann's next move, after the resend on the same connection, is the fourth.
    expect(await ann.answer({ type: 'add', roomId, n: 1000 }, 'Pq8Rt2Lm5Xc9Vb3N-3')).toMatchObject({
      type: 'ack',
      moves: 4,
    })
    // The resend is answered as a run that replied nothing (the original reply is not known).
    expect(ann.frames.filter((f) => f.replyTo === id).map((f) => f.type)).toEqual(['error'])
    for (const m of [ann, bob]) await expect.poll(() => m.states(roomId).at(-1), settle).toBe('4:1111')
    // A newcomer syncs to the same state: the move counted once.
    const cy = await client(a.port, 'cy', [roomId])
    expect(cy.states(roomId)).toEqual(['4:1111'])
    // Committed as answered, so an owner after this one (restored from a later snapshot) knows it too.
    expect(await a.state.answeredFrames(roomId)).toContainEqual([`\nann\n${id}`, '[]'])
  }, 60_000)

  test('restored from its snapshot alone, the room did not apply the frame: the resend runs', async () => {
    const roomId = 'replay-2'
    const { ann, bob, move, id, bobMove } = await takenOverBeforeSave(roomId, snapshotCounter)
    // The new owner restored the snapshot of ann's first move: bob's is the second.
    expect(bobMove).toMatchObject({ type: 'ack', moves: 2 })
    expect(await ann.answer(move, id)).toMatchObject({ type: 'ack', moves: 3 })
    expect(await ann.answer({ type: 'add', roomId, n: 1000 }, 'Pq8Rt2Lm5Xc9Vb3N-3')).toMatchObject({
      type: 'ack',
      moves: 4,
    })
    for (const m of [ann, bob]) await expect.poll(() => m.states(roomId).at(-1), settle).toBe('4:1111')
  }, 60_000)
})
