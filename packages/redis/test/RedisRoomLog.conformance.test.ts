import { roomLogConformance } from '@hubbub/rooms/conformance'
import { afterAll, describe } from 'vitest'
import { RedisRoomLog } from '../src/index.js'
import { deletePrefix, REDIS_URL, redisSkipReason, uniquePrefix } from './redisEnv.js'

const prefix = uniquePrefix('log-conformance')

describe.skipIf(redisSkipReason !== undefined)('RedisRoomLog on a real Redis', () => {
  afterAll(() => deletePrefix(prefix))

  roomLogConformance({
    name: 'redis',
    keeps: 20,
    binaryPayloads: true,
    create: () => new RedisRoomLog({ redis: REDIS_URL, prefix, historySize: 20 }),
    cleanup: (log) => (log as RedisRoomLog).disconnect(),
  })
})
