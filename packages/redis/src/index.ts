// Presence
export { RedisPresenceStore, type RedisPresenceStoreOptions } from './RedisPresenceStore.js'
