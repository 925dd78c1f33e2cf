import { Redis } from 'ioredis'

/** The shared Redis of the tests (never flushed: each run keeps to a key prefix of its own). */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

async function probe(): Promise<string | undefined> {
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  })
  redis.on('error', () => {})
  try {
    await redis.connect()
    await redis.ping()
    return undefined
  } catch (err) {
    return `Redis at ${REDIS_URL} is not reachable (${(err as Error).message})`
  } finally {
    redis.disconnect()
  }
}

/** Why the Redis tests cannot run (undefined when Redis answers); with `REQUIRE_REDIS=1` the file fails instead. */
export const redisSkipReason: string | undefined = await probe()
if (redisSkipReason !== undefined && process.env.REQUIRE_REDIS === '1')
  throw new Error(`REQUIRE_REDIS=1 but ${redisSkipReason}`)

/** A key prefix of this run alone. */
export function uniquePrefix(name: string): string {
  return `hubbub-test:${name}:${process.pid}:${Math.random().toString(36).slice(2, 10)}`
}

/** One command on the test's Redis. */
export async function withRedis<T>(f: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
  redis.on('error', () => {})
  try {
    return await f(redis)
  } finally {
    redis.disconnect()
  }
}

/** Deletes the run's keys: names starting with `<prefix>` or `{<prefix>` (SCAN and DEL, never FLUSH). */
export function deletePrefix(prefix: string): Promise<void> {
  const glob = prefix.replace(/[*?[\]\\]/g, '\\$&')
  return withRedis(async (redis) => {
    for (const match of [`${glob}*`, `{${glob}*`]) {
      let cursor = '0'
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 500)
        cursor = next
        if (keys.length > 0) await redis.del(...keys)
      } while (cursor !== '0')
    }
  })
}
