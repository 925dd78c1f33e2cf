import { Cluster, type ClusterNode, type ClusterOptions, Redis, type RedisOptions } from 'ioredis'

/** A Redis Cluster: its startup nodes and ioredis `ClusterOptions`. */
export interface RedisClusterTarget {
  /** Some of the cluster's nodes (`'redis://host:port'`, `port`, or `{ host, port }`); the rest are discovered. */
  cluster: ClusterNode[]
  /** ioredis Cluster options (`redisOptions` reach every node connection). */
  clusterOptions?: ClusterOptions
}

/**
 * Where Redis is: a `redis://` URL, ioredis options (host, port, password, tls…), a Cluster
 * (`{ cluster: [nodes…], clusterOptions }`), or a ready ioredis `Redis` or `Cluster` client.
 * A ready client is never used itself: each part opens its own connections with its options
 * (`duplicate()`), and closes them; the caller keeps and closes the client it gave.
 */
export type RedisConnectionTarget = string | RedisOptions | RedisClusterTarget | Redis | Cluster

/** One connection this package opens: to a single Redis, or to a Cluster. */
export type RedisClient = Redis | Cluster

// ioredis' own option types are not assignable to its constructors under exactOptionalPropertyTypes
// (hence also `as never` for Cluster options).
type Loose = RedisOptions & { replyMapping?: 'legacy' }

/** True when the target names a Redis Cluster. */
export function isClusterTarget(target: RedisConnectionTarget): boolean {
  if (target instanceof Cluster) return true
  if (target instanceof Redis || typeof target === 'string') return false
  return 'cluster' in target
}

/** True when `client` talks to a Redis Cluster. */
export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster
}

/**
 * Opens one ioredis connection (or Cluster client) for a store or adapter of this package. The
 * defaults make a call fail fast instead of waiting for Redis forever: a command issued while
 * Redis is gone is rejected after one reconnect attempt, and an unanswered command is never
 * sent twice (a publish script run twice would sequence one frame at two offsets). The
 * caller's options win. `cluster` adds Cluster options (`shardedSubscribers` for the log).
 *
 * A command connection (`role` `commands`, the default; `queued` keeps ioredis' queue, for
 * subscribers and for presence, whose calls may wait for Redis) also turns its offline queue off once it
 * first connected: during an outage a call is rejected at once instead of waiting for a reconnect
 * attempt, so a sender hears `UNAVAILABLE` quickly. Before the first connect, calls wait for it as
 * usual. An `enableOfflineQueue` the caller chose is kept.
 */
export function openRedis(
  target: RedisConnectionTarget,
  defaults: RedisOptions = {},
  cluster: ClusterOptions = {},
  role: 'commands' | 'queued' = 'commands',
): RedisClient {
  const base: RedisOptions = {
    maxRetriesPerRequest: 1,
    autoResendUnfulfilledCommands: false,
    ...defaults,
  }
  const client = connect(target, base, cluster)
  if (role === 'commands' && !offlineQueueChosen(target)) {
    client.once('ready', () => {
      client.options.enableOfflineQueue = false
    })
  }
  return client
}

function connect(target: RedisConnectionTarget, base: RedisOptions, cluster: ClusterOptions): RedisClient {
  if (target instanceof Redis) return target.duplicate(base as Loose)
  if (target instanceof Cluster) {
    const given = target.options
    return target.duplicate(undefined, {
      ...cluster,
      redisOptions: { ...base, ...given.redisOptions },
    } as never)
  }
  if (typeof target === 'string') return new Redis(target, base as Loose)
  if ('cluster' in target) {
    const given = target.clusterOptions ?? {}
    return new Cluster(target.cluster, {
      ...given,
      ...cluster,
      redisOptions: { ...base, ...given.redisOptions },
    } as never)
  }
  return new Redis({ ...base, ...target } as Loose)
}

/** Whether the caller set `enableOfflineQueue` themselves (then it is kept). */
function offlineQueueChosen(target: RedisConnectionTarget): boolean {
  if (typeof target === 'string') return false
  if (target instanceof Redis) return target.options.enableOfflineQueue === false
  if (target instanceof Cluster) return target.options.enableOfflineQueue === false
  if ('cluster' in target) return target.clusterOptions?.enableOfflineQueue !== undefined
  return target.enableOfflineQueue !== undefined
}

/** Quits a connection politely, or drops it when Redis is not there to answer. */
export async function closeRedis(redis: RedisClient): Promise<void> {
  if (redis.status === 'end') return
  if (redis.status !== 'ready') {
    redis.disconnect()
    return
  }
  try {
    await redis.quit()
  } catch {
    redis.disconnect()
  }
}
