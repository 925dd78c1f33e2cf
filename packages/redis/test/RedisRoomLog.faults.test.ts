import type { SequencedFrame } from '@hubbub/rooms'
import { afterAll, describe, expect, it, onTestFinished } from 'vitest'
import { RedisRoomLog, type RoomLogGap } from '../src/index.js'
import { ownRedis } from './nodes.js'
import { clientIds, killClients, namedTarget } from './redisClients.js'
import { deletePrefix, redisSkipReason, uniquePrefix } from './redisEnv.js'

const prefix = uniquePrefix('log-faults')

function node(redis: ConstructorParameters<typeof RedisRoomLog>[0] & object) {
  const gaps: RoomLogGap[] = []
  const log = new RedisRoomLog({ historySize: 1000, ...redis, onGap: (gap) => gaps.push(gap) })
  onTestFinished(() => log.disconnect())
  const frames: SequencedFrame[] = []
  const listener = (_room: string, frame: SequencedFrame): void => void frames.push(frame)
  return { log, gaps, frames, listener }
}

describe.skipIf(redisSkipReason !== undefined)('RedisRoomLog under faults', () => {
  afterAll(() => deletePrefix(prefix))

  it('a subscriber connection killed mid-stream comes back and delivers every offset once, in order, with no gap', async () => {
    const name = uniquePrefix('log-conn')
    const reader = node({ redis: namedTarget(name), prefix })
    const writer = node({ redis: namedTarget(uniquePrefix('log-conn')), prefix })
    const room = 'killed'
    await reader.log.open(room, reader.listener)
    const ids = await clientIds(name, true)
    expect(ids).toHaveLength(1)

    const total = 200
    const publishing = (async () => {
      for (let i = 1; i <= total; i++) {
        await writer.log.publish(room, { type: 'chat', i })
        if (i === 50) await killClients(ids)
      }
    })()
    await publishing
    await expect.poll(() => reader.frames.length, { timeout: 10_000 }).toBe(total)
    expect(reader.frames.map((f) => f.offset)).toEqual(Array.from({ length: total }, (_, k) => k + 1))
    expect(reader.frames.map((f) => f.i)).toEqual(Array.from({ length: total }, (_, k) => k + 1))
    expect(reader.gaps).toEqual([])
    // It really was a new connection.
    expect(await clientIds(name, true)).not.toEqual(ids)
  })

  it('a Redis that restarts without its data: every node reports the loss once as a gap into the new epoch, then delivers it', async () => {
    const redis = await ownRedis()
    const one = node({ redis: redis.url, prefix: 'restart' })
    const two = node({ redis: redis.url, prefix: 'restart' })
    const room = 'lost'
    const start = await one.log.open(room, one.listener)
    await two.log.open(room, two.listener)
    for (let i = 1; i <= 3; i++) await one.log.publish(room, { type: 'chat', i })
    await expect.poll(() => two.frames.length).toBe(3)

    await redis.stop()
    await redis.start()
    // Publishing resumes by itself once the connection is back; retried until then.
    let after: { epoch: string; offset: number } | undefined
    await expect
      .poll(
        async () => {
          after ??= await one.log.publish(room, { type: 'chat', i: 4 }).catch(() => undefined)
          return after
        },
        { timeout: 15_000 },
      )
      .toBeDefined()
    expect(after!.epoch).not.toBe(start.epoch)
    expect(after!.offset).toBe(1)
    for (const n of [one, two]) {
      await expect.poll(() => n.frames.length, { timeout: 15_000 }).toBe(4)
      expect(n.frames.map((f) => [f.offset, f.i])).toEqual([
        [1, 1],
        [2, 2],
        [3, 3],
        [1, 4],
      ])
      expect(n.gaps).toEqual([
        { roomId: room, epoch: start.epoch, after: 3, nextEpoch: after!.epoch, nextOffset: 1 },
      ])
    }
    // Recovery from the old epoch says it is gone.
    const read = await two.log.read(room, { since: { epoch: start.epoch, offset: 3 }, limit: 10 })
    expect(read.recovered).toBe(false)
    expect(read.top).toEqual(after)
  })
})
