export { RedisRoomPlacement, type RedisRoomPlacementOptions } from './placement/RedisRoomPlacement.js'
export { RedisBusAdapter, type RedisBusAdapterOptions, type RedisBusEvent } from './RedisBusAdapter.js'
export { RedisConnectionRegistry, type RedisConnectionRegistryOptions } from './RedisConnectionRegistry.js'
export { RedisLogError, type RedisLogErrorCode } from './RedisLogError.js'
export { RedisPresenceStore, type RedisPresenceStoreOptions } from './RedisPresenceStore.js'
export { RedisRoomLog, type RedisRoomLogOptions, type RoomLogGap } from './RedisRoomLog.js'
export {
  type AnsweredFrame,
  type FencedSave,
  RedisRoomStateStore,
  type RedisRoomStateStoreOptions,
} from './RedisRoomStateStore.js'
export type { RedisClusterTarget, RedisConnectionTarget } from './redisConnection.js'
export { type RedisNode, type RedisNodeOptions, redisNode } from './redisNode.js'
export { shardedPublish } from './shardedPublish.js'
