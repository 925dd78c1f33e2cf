import { connectionRegistryConformance } from '@hubbub/bus/conformance'
import { describe, test } from 'vitest'
import { RedisConnectionRegistry } from '../src/RedisConnectionRegistry.js'
import { deletePrefix, REDIS_URL, redisSkipReason, uniquePrefix } from './redisEnv.js'

// Long enough that a stalled test process does not drop the node that keeps beating.
const nodeTtlMs = 1500

// The kit registers its own describe; without Redis the file says why it runs nothing.
if (redisSkipReason === undefined) {
  const prefix = uniquePrefix('registry')
  connectionRegistryConformance({
    name: 'RedisConnectionRegistry',
    create: () => new RedisConnectionRegistry({ redis: REDIS_URL, prefix, nodeTtlMs }),
    cleanup: async (registry) => {
      await (registry as RedisConnectionRegistry).disconnect()
      await deletePrefix(prefix)
    },
    nodeTtlMs,
  })
} else {
  describe.skip(`RedisConnectionRegistry: skipped, ${redisSkipReason}`, () => {
    test('conformance', () => {})
  })
}
