import { Redis, type RedisOptions } from 'ioredis'
import { REDIS_URL } from './redisEnv.js'

/** Connection options for `REDIS_URL` with a name of the test's own, so it can find its connections. */
export function namedTarget(connectionName: string, url = REDIS_URL): RedisOptions {
  const u = new URL(url)
  const options: RedisOptions = { host: u.hostname, port: Number(u.port || 6379), connectionName }
  if (u.password) options.password = decodeURIComponent(u.password)
  if (u.username) options.username = decodeURIComponent(u.username)
  return options
}

/** Ids of this Redis's connections named `name`; `subscribed` picks those in pub/sub mode (or not). */
export async function clientIds(name: string, subscribed: boolean, url = REDIS_URL): Promise<string[]> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 })
  redis.on('error', () => {})
  try {
    const list = (await redis.client('LIST')) as string
    const ids: string[] = []
    for (const line of list.split('\n')) {
      const fields = new Map(line.split(' ').map((kv) => kv.split('=', 2) as [string, string]))
      if (fields.get('name') !== name) continue
      const sub = Number(fields.get('sub') ?? 0) + Number(fields.get('psub') ?? 0)
      if (sub > 0 === subscribed) ids.push(fields.get('id')!)
    }
    return ids
  } finally {
    redis.disconnect()
  }
}

/** `CLIENT KILL ID` each of `ids` (connections of this test only, never a filter that reaches others). */
export async function killClients(ids: readonly string[], url = REDIS_URL): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 })
  redis.on('error', () => {})
  try {
    for (const id of ids) await redis.client('KILL', 'ID', id)
  } finally {
    redis.disconnect()
  }
}
