import { connectionRegistryConformance } from '@hubbub/bus/conformance'
import { presenceStoreConformance, roomLogConformance } from '@hubbub/rooms/conformance'
import { afterAll, beforeAll, describe, test } from 'vitest'
import { RedisConnectionRegistry, RedisPresenceStore, RedisRoomLog } from '../src/index.js'
import { clusterSkipReason, startCluster, type TestCluster } from './redisCluster.js'
import { uniquePrefix } from './redisEnv.js'

// The cluster is the test's own and goes with its data in afterAll: no key cleanup needed.
const prefix = uniquePrefix('cluster-kits')
// Long enough that a stalled test process does not drop the node that keeps beating.
const nodeTtlMs = 1500

if (clusterSkipReason === undefined) {
  describe('the conformance kits on a 3-master Redis Cluster', () => {
    let cluster: TestCluster
    beforeAll(async () => {
      cluster = await startCluster()
    }, 60_000)
    afterAll(() => cluster?.stop())

    roomLogConformance({
      name: 'RedisRoomLog on a Cluster',
      keeps: 20,
      binaryPayloads: true,
      create: () => new RedisRoomLog({ redis: cluster.target, prefix: `${prefix}:log`, historySize: 20 }),
      cleanup: (log) => (log as RedisRoomLog).disconnect(),
    })

    presenceStoreConformance({
      name: 'RedisPresenceStore on a Cluster',
      create: () =>
        new RedisPresenceStore({
          redis: cluster.target,
          prefix: `${prefix}:presence`,
          nodeTtlMs,
          checkEveryMs: 0,
        }),
      cleanup: (store) => (store as RedisPresenceStore).close(),
      nodeTtlMs,
    })

    connectionRegistryConformance({
      name: 'RedisConnectionRegistry on a Cluster',
      create: () =>
        new RedisConnectionRegistry({ redis: cluster.target, prefix: `${prefix}:registry`, nodeTtlMs }),
      cleanup: (registry) => (registry as RedisConnectionRegistry).disconnect(),
      nodeTtlMs,
    })
  })
} else {
  describe.skip(`Redis Cluster conformance: skipped, ${clusterSkipReason}`, () => {
    test('conformance kits', () => {})
  })
}
