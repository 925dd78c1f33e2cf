import { Redis, type RedisOptions } from 'ioredis'

/** Where Redis is: a `redis://` URL, or ioredis options (host, port, password, tls…). */
export type RedisConnectionTarget = string | RedisOptions

/**
 * Opens one ioredis connection for a store or adapter of this package. The defaults make a
 * call fail fast instead of waiting for Redis forever: a command issued while Redis is gone is
 * rejected after one reconnect attempt, and an unanswered command is never sent twice (a
 * publish script run twice would sequence one frame at two offsets). The caller's options win.
 */
export function openRedis(target: RedisConnectionTarget, defaults: RedisOptions = {}): Redis {
  const base: RedisOptions = {
    maxRetriesPerRequest: 1,
    autoResendUnfulfilledCommands: false,
    ...defaults,
  }
  // ioredis' own option type is not assignable to its constructor under exactOptionalPropertyTypes.
  type Options = RedisOptions & { replyMapping?: 'legacy' }
  return typeof target === 'string'
    ? new Redis(target, base as Options)
    : new Redis({ ...base, ...target } as Options)
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
