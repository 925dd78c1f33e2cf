/**
 * RedisPresenceStore against a real Redis (REDIS_URL, default 127.0.0.1:6379), under a prefix of
 * its own that it deletes afterwards. Prints one JSON line: latency of add/remove/list/rooms
 * with `concurrency` calls in flight from two stores (two nodes), and how long purging a dead
 * node with `users` users over `rooms` rooms takes.
 *   node --conditions=@hubbub/source --import tsx bench/presence.ts
 */
import { performance } from 'node:perf_hooks'
import { RedisPresenceStore } from '../src/RedisPresenceStore.js'
import { deletePrefix, REDIS_URL, uniquePrefix } from '../test/redisEnv.js'

const users = Number(process.env.USERS ?? 2000)
const rooms = Number(process.env.ROOMS ?? 20)
const concurrency = Number(process.env.CONCURRENCY ?? 32)
const prefix = uniquePrefix('presence-bench')
const nodes = [0, 1].map(() => new RedisPresenceStore({ redis: REDIS_URL, prefix, checkEveryMs: 0 }))

const entry = (i: number) => ({ key: `id:${i}`, name: `user${i}`, node: `n${i % 2}`, connection: `c${i}` })
const roomOf = (i: number) => `room${i % rooms}`

/** Runs `op(i)` for i < n with `concurrency` in flight; answers per-call latencies (ms) and calls/s. */
async function measure(n: number, op: (i: number) => Promise<unknown>) {
  const took: number[] = []
  let next = 0
  const start = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++
        const t = performance.now()
        await op(i)
        took.push(performance.now() - t)
      }
    }),
  )
  const seconds = (performance.now() - start) / 1000
  took.sort((x, y) => x - y)
  const at = (q: number) => Number(took[Math.min(took.length - 1, Math.floor(q * took.length))]!.toFixed(2))
  return { perSecond: Math.round(n / seconds), p50Ms: at(0.5), p99Ms: at(0.99) }
}

try {
  await Promise.all(nodes.map((s) => s.onDiff(() => {})))
  const add = await measure(users, (i) => nodes[i % 2]!.add(roomOf(i), entry(i)))
  const list = await measure(users, (i) => nodes[i % 2]!.list(roomOf(i), 100))
  const allRooms = await measure(200, (i) => nodes[i % 2]!.rooms())
  const remove = await measure(users / 2, (i) => nodes[0]!.remove(roomOf(2 * i), entry(2 * i)))
  // Node n1 still holds the odd users; n0 drops it as it would a dead node.
  const t = performance.now()
  await nodes[0]!.dropNode('n1')
  const purgeMs = Number((performance.now() - t).toFixed(1))
  console.log(
    JSON.stringify({
      users,
      rooms,
      concurrency,
      add,
      remove,
      list,
      roomsCall: allRooms,
      purgeUsers: users / 2,
      purgeMs,
    }),
  )
} finally {
  await Promise.all(nodes.map((s) => s.close()))
  await deletePrefix(prefix)
}
