import { Redis } from 'ioredis'

/** The Redis the tests use. */
export const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/**
 * Whether Redis answers. When it does not, Redis tests are skipped with the printed reason,
 * unless `REQUIRE_REDIS=1` (as in CI), where that is an error.
 */
export async function redisAvailable(): Promise<boolean> {
  const probe = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
  probe.on('error', () => {})
  try {
    await probe.connect()
    await probe.ping()
    return true
  } catch (err) {
    const reason = `Redis at ${redisUrl} is not reachable (${(err as Error).message})`
    if (process.env.REQUIRE_REDIS === '1') throw new Error(`${reason}, and REQUIRE_REDIS=1`)
    console.warn(`${reason}: skipping the Redis tests (set REQUIRE_REDIS=1 to fail instead)`)
    return false
  } finally {
    probe.disconnect()
  }
}

/** A key prefix no other run uses. */
export function uniquePrefix(what: string): string {
  return `hubbub-test:${what}:${process.pid}:${Math.random().toString(36).slice(2, 10)}`
}

/** Deletes every key of the run's prefix (`{prefix}…` and `{prefix:room}…`), by SCAN, never FLUSH. */
export async function deleteKeys(prefix: string): Promise<number> {
  const redis = new Redis(redisUrl)
  let deleted = 0
  try {
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `{${escapeGlob(prefix)}*`, 'COUNT', 500)
      cursor = next
      if (keys.length > 0) deleted += await redis.del(...keys)
    } while (cursor !== '0')
  } finally {
    await redis.quit()
  }
  return deleted
}

const escapeGlob = (s: string): string => s.replace(/[*?[\]\\]/g, '\\$&')
