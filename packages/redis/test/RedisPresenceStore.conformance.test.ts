import { presenceStoreConformance } from '@hubbub/rooms/conformance'
import { afterAll, describe } from 'vitest'
import { RedisPresenceStore } from '../src/RedisPresenceStore.js'
import { deleteKeys, redisAvailable, redisUrl, uniquePrefix } from './presenceEnv.js'

const available = await redisAvailable()
const prefix = uniquePrefix('presence-conformance')
// Long enough that a stalled test process does not drop the node that keeps beating.
const nodeTtlMs = 1500

describe.skipIf(!available)('RedisPresenceStore on a real Redis', () => {
  afterAll(() => deleteKeys(prefix))
  presenceStoreConformance({
    name: 'RedisPresenceStore',
    create: () => new RedisPresenceStore({ redis: redisUrl, prefix, nodeTtlMs, checkEveryMs: 0 }),
    // The kit hands back what `create` made.
    cleanup: (store) => (store as RedisPresenceStore).close(),
    nodeTtlMs,
  })
})
