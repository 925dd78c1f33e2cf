import { HubbubError } from '@hubbub/client'
import type { RoomMessageFrame } from '@hubbub/protocol'
import { describe, expect, it } from 'vitest'
import { RedisLogError, RedisRoomLog } from '../src/index.js'
import { ownRedis, startNode, testClient } from './nodes.js'
import { redisSkipReason } from './redisEnv.js'

// These start a redis-server of their own (and kill it); they need the binary, not the shared Redis.
describe.skipIf(redisSkipReason !== undefined)('while Redis is unreachable', () => {
  it('publish rejects with a retryable RedisLogError, and nothing is delivered', async () => {
    const redis = await ownRedis()
    const log = new RedisRoomLog({ redis: redis.url, prefix: 'down' })
    try {
      const delivered: number[] = []
      const position = await log.open('r', (_room, frame) => delivered.push(frame.offset))
      expect(position.offset).toBe(0)
      await log.publish('r', { type: 'chat', text: 'one' })
      await expect.poll(() => delivered).toEqual([1])
      await redis.stop()
      const failed = await log.publish('r', { type: 'chat', text: 'two' }).catch((err: unknown) => err)
      expect(failed).toBeInstanceOf(RedisLogError)
      expect((failed as RedisLogError).code).toBe('UNAVAILABLE')
      expect((failed as RedisLogError).retryable).toBe(true)
      // A room open on this node still answers a read (so members can join), from what it delivered.
      const read = await log.read('r', { since: { epoch: position.epoch, offset: 0 }, limit: 10 })
      expect(read).toEqual({ messages: [], top: { epoch: position.epoch, offset: 1 }, recovered: false })
      const exact = await log.read('r', { since: { epoch: position.epoch, offset: 1 }, limit: 10 })
      expect(exact.recovered).toBe(true)
      // A room it does not have open cannot be read.
      await expect(log.read('other', { limit: 10 })).rejects.toMatchObject({ code: 'UNAVAILABLE' })
      expect(delivered).toEqual([1])
    } finally {
      await log.disconnect()
    }
  })

  it('the server answers the sender UNAVAILABLE (with its replyTo) and delivers the message to nobody', async () => {
    const redis = await ownRedis()
    const node = await startNode('down', { redis: redis.url })
    const annRoom = await testClient(node.url).join('lobby', { username: 'ann' })
    const bobRoom = await testClient(node.url).join('lobby', { username: 'bob' })
    const seen: RoomMessageFrame[] = []
    bobRoom.on('message', (m) => seen.push(m))
    expect((await annRoom.send('before')).offset).toBe(1)
    await expect.poll(() => seen.length).toBe(1)

    await redis.stop()
    const failed = await annRoom.send('during').catch((err: unknown) => err)
    expect(failed).toBeInstanceOf(HubbubError)
    expect((failed as HubbubError).code).toBe('UNAVAILABLE')
    // The connections stay up, and the server reported the failure.
    expect(annRoom.offset).toBe(1)
    expect(node.errors.length).toBeGreaterThan(0)
    // Another member's send still gets its own answer (every refused send is answered).
    await expect(bobRoom.send('during too')).rejects.toMatchObject({ code: 'UNAVAILABLE' })
    expect(seen.map((m) => m.text)).toEqual(['before'])
  })
})
