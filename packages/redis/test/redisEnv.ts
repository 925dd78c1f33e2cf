import { Redis } from 'ioredis'

/** The Redis these tests use (never flushed: every test keeps to its own key prefix). */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/** Set `REQUIRE_REDIS=1` (as CI does) to fail instead of skipping when Redis is down. */
const required = process.env.REQUIRE_REDIS === '1'

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

/**
 * Why the Redis tests of a file cannot run, or undefined when Redis answers. Printed once per
 * file; with `REQUIRE_REDIS=1` an unreachable Redis throws here, failing the file.
 */
export const redisSkipReason: string | undefined = await probe()
if (redisSkipReason !== undefined) {
  if (required) throw new Error(`REQUIRE_REDIS=1 but ${redisSkipReason}`)
  console.warn(`skipping Redis tests: ${redisSkipReason} (set REDIS_URL, or REQUIRE_REDIS=1 to fail)`)
}

/** A key prefix no other run or test uses. */
export function uniquePrefix(name: string): string {
  return `hubbub-test:${name}:${process.pid}:${Math.random().toString(36).slice(2, 10)}`
}

/** Deletes every key of this Redis whose name starts with `{<prefix>` (hash-tagged) or `<prefix>` (SCAN, never FLUSH*). */
export async function deletePrefix(prefix: string, url = REDIS_URL): Promise<number> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 })
  redis.on('error', () => {})
  let deleted = 0
  try {
    for (const match of [`{${escapeGlob(prefix)}*`, `${escapeGlob(prefix)}*`]) {
      let cursor = '0'
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 500)
        cursor = next
        if (keys.length > 0) deleted += await redis.del(...keys)
      } while (cursor !== '0')
    }
  } finally {
    redis.disconnect()
  }
  return deleted
}

const escapeGlob = (s: string): string => s.replace(/[*?[\]\\]/g, '\\$&')
