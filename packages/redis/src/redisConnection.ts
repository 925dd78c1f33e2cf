import { Redis, type RedisOptions } from 'ioredis'

/** Where Redis is: a `redis://` URL, or ioredis options (host, port, password, tls…). */
export type RedisConnectionTarget = string | RedisOptions

/**
 * Opens one ioredis connection for a store or adapter of this package. The defaults make a
 * call fail fast instead of waiting for Redis forever: a command issued while Redis is gone is
 * rejected after one reconnect attempt, and an unanswered command is never sent twice (a
 * publish script run twice would sequence one frame at two offsets). A command connection
 * (`commands`, the default) also turns its offline queue off once it first connected: during an
 * outage a call is rejected at once instead of waiting for a reconnect attempt, so a sender hears
 * `UNAVAILABLE` quickly. Before the first connect, calls wait for it as usual. The caller's options
 * win (an `enableOfflineQueue` in `target` is kept).
 */
export function openRedis(
  target: RedisConnectionTarget,
  defaults: RedisOptions = {},
  role: 'commands' | 'subscriber' = 'commands',
): Redis {
  const base: RedisOptions = {
    maxRetriesPerRequest: 1,
    autoResendUnfulfilledCommands: false,
    ...defaults,
  }
  // ioredis' own option type is not assignable to its constructor under exactOptionalPropertyTypes.
  type Options = RedisOptions & { replyMapping?: 'legacy' }
  const redis =
    typeof target === 'string'
      ? new Redis(target, base as Options)
      : new Redis({ ...base, ...target } as Options)
  const chosen = typeof target !== 'string' && target.enableOfflineQueue !== undefined
  if (role === 'commands' && !chosen) {
    redis.once('ready', () => {
      redis.options.enableOfflineQueue = false
    })
  }
  return redis
}

/** Quits a connection politely, or drops it when Redis is not there to answer. */
export async function closeRedis(redis: Redis): Promise<void> {
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
