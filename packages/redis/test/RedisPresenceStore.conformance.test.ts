import { presenceStoreConformance } from '@hubbub/rooms/conformance'
import { afterAll, describe } from 'vitest'
import { RedisPresenceStore } from '../src/RedisPresenceStore.js'
import { deletePrefix, REDIS_URL, redisSkipReason, uniquePrefix } from './redisEnv.js'

const available = redisSkipReason === undefined
const prefix = uniquePrefix('presence-conformance')
// Long enough that a stalled test process does not drop the node that keeps beating.
const nodeTtlMs = 1500

describe.skipIf(!available)('RedisPresenceStore on a real Redis', () => {
  afterAll(() => deletePrefix(prefix))
  presenceStoreConformance({
    name: 'RedisPresenceStore',
    create: () => new RedisPresenceStore({ redis: REDIS_URL, prefix, nodeTtlMs, checkEveryMs: 0 }),
    // The kit hands back what `create` made.
    cleanup: (store) => (store as RedisPresenceStore).close(),
    nodeTtlMs,
  })
})
