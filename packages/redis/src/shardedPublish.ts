const CLASSIC = "redis.call('PUBLISH'"
const SHARDED = "redis.call('SPUBLISH'"

/**
 * The same Lua script with its `PUBLISH` calls made `SPUBLISH` (Redis 7 sharded pub/sub), for a
 * Redis Cluster: the message then stays on the shard that owns the room's slot instead of
 * crossing the whole cluster bus. The room's channel shares the room's hash tag, so the script
 * still touches one slot. Throws when the script has no `redis.call('PUBLISH'` to swap.
 */
export function shardedPublish(script: string): string {
  if (!script.includes(CLASSIC)) {
    throw new Error(`shardedPublish: the script has no ${CLASSIC} call to make sharded`)
  }
  return script.replaceAll(CLASSIC, SHARDED)
}
