export { RedisBusAdapter, type RedisBusAdapterOptions, type RedisBusEvent } from './RedisBusAdapter.js'
export { RedisLogError, type RedisLogErrorCode } from './RedisLogError.js'
export { RedisRoomLog, type RedisRoomLogOptions, type RoomLogGap } from './RedisRoomLog.js'
export type { RedisConnectionTarget } from './redisConnection.js'
