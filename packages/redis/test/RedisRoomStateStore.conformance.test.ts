import { roomStateStoreConformance } from '@hubbub/rooms/conformance'
import { afterAll, describe } from 'vitest'
import { RedisRoomStateStore } from '../src/index.js'
import { deletePrefix, REDIS_URL, redisSkipReason, uniquePrefix } from './redisEnv.js'

const prefix = uniquePrefix('state-conformance')

describe.skipIf(redisSkipReason !== undefined)('RedisRoomStateStore on a real Redis', () => {
  afterAll(() => deletePrefix(prefix))

  roomStateStoreConformance({
    name: 'redis',
    create: () => new RedisRoomStateStore({ redis: REDIS_URL, prefix }),
    cleanup: (store) => (store as RedisRoomStateStore).disconnect(),
  })
})
