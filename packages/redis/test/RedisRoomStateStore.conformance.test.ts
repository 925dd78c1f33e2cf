import { roomStateStoreConformance } from '@hubbub/rooms/conformance'
import { afterAll, describe, expect, test } from 'vitest'
import { RedisRoomStateStore } from '../src/index.js'
import { deletePrefix, REDIS_URL, redisSkipReason, uniquePrefix } from './redisEnv.js'

const prefix = uniquePrefix('state-conformance')

describe.skipIf(redisSkipReason !== undefined)('RedisRoomStateStore on a real Redis', () => {
  afterAll(() => deletePrefix(prefix))

  roomStateStoreConformance({
    name: 'redis',
    epochs: true,
    create: () => new RedisRoomStateStore({ redis: REDIS_URL, prefix }),
    cleanup: (store) => (store as RedisRoomStateStore).disconnect(),
  })

  test('a state holding bytes comes back as bytes, and two stores share one snapshot', async () => {
    const a = new RedisRoomStateStore({ redis: REDIS_URL, prefix })
    const b = new RedisRoomStateStore({ redis: REDIS_URL, prefix })
    try {
      await a.save('bytes', { format: 'x', update: new Uint8Array([0, 10, 255]) }, 3, 'e')
      const loaded = await b.load('bytes')
      expect(loaded).toMatchObject({ offset: 3, epoch: 'e' })
      const update = (loaded!.state as { update: Uint8Array }).update
      expect(update).toBeInstanceOf(Uint8Array)
      expect([...update]).toEqual([0, 10, 255])
    } finally {
      await a.disconnect()
      await b.disconnect()
    }
  })
})
