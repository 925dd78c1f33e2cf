import { afterAll, describe, expect, onTestFinished, test } from 'vitest'
import { RedisPresenceStore, type RedisPresenceStoreOptions } from '../src/RedisPresenceStore.js'
import { deletePrefix, REDIS_URL, redisSkipReason, uniquePrefix } from './redisEnv.js'

type Diff = { roomId: string; node: string; joined: string[]; left: string[]; count: number }

const available = redisSkipReason === undefined
const prefix = uniquePrefix('presence-nodes')
let rooms = 0
const room = (name: string) => `${name}-${++rooms}`

/** One node's store on the shared prefix, closed after the test. */
function node(options: RedisPresenceStoreOptions = {}): RedisPresenceStore {
  const store = new RedisPresenceStore({ redis: REDIS_URL, prefix, checkEveryMs: 0, ...options })
  onTestFinished(() => store.close())
  return store
}

/** Every diff a store's feed reports for one room. */
async function watch(store: RedisPresenceStore, roomId: string): Promise<Diff[]> {
  const diffs: Diff[] = []
  const off = await store.onDiff((d) => {
    if (d.roomId === roomId) diffs.push(d)
  })
  onTestFinished(off)
  return diffs
}

const leftOf = (diffs: Diff[], name: string) => diffs.filter((d) => d.left.includes(name)).length

describe.skipIf(!available)('RedisPresenceStore: several nodes on one Redis', () => {
  afterAll(() => deletePrefix(prefix))

  test('two nodes share a room: counts, first and last across nodes, each diff once on each node', async () => {
    const [a, b] = [node(), node()]
    const r = room('shared')
    const [seenA, seenB] = [await watch(a, r), await watch(b, r)]
    const on = (n: string, key: string, name: string, connection: string) => ({
      key,
      name,
      node: n,
      connection,
    })

    expect(await a.add(r, on('A', 'id:1', 'ann', 'c1'))).toEqual({ first: true, count: 1 })
    // The same user on the other node is not a second user, and not a second join.
    expect(await b.add(r, on('B', 'id:1', 'ann', 'c7'))).toEqual({ first: false, count: 1 })
    expect(await b.add(r, on('B', 'id:2', 'bob', 'c8'))).toEqual({ first: true, count: 2 })
    // A name is taken across nodes.
    expect(await a.add(r, on('A', 'id:3', 'bob', 'c2'))).toEqual({ taken: true })
    expect(await a.list(r, 10)).toEqual({ users: ['ann', 'bob'], count: 2 })
    expect(await b.list(r, 10)).toEqual({ users: ['ann', 'bob'], count: 2 })
    expect((await a.rooms()).filter((x) => x.id === r)).toEqual([{ id: r, userCount: 2 }])

    expect(await a.remove(r, on('A', 'id:1', 'ann', 'c1'))).toEqual({ last: false, count: 2 })
    expect(await b.remove(r, on('B', 'id:1', 'ann', 'c7'))).toEqual({ last: true, count: 1 })
    expect(await b.remove(r, on('B', 'id:2', 'bob', 'c8'))).toEqual({ last: true, count: 0 })
    expect((await b.rooms()).filter((x) => x.id === r)).toEqual([])

    const expected: Diff[] = [
      { roomId: r, node: 'A', joined: ['ann'], left: [], count: 1 },
      { roomId: r, node: 'B', joined: ['bob'], left: [], count: 2 },
      { roomId: r, node: 'B', joined: [], left: ['ann'], count: 1 },
      { roomId: r, node: 'B', joined: [], left: ['bob'], count: 0 },
    ]
    await expect.poll(() => seenA.length).toBeGreaterThanOrEqual(4)
    await expect.poll(() => seenB.length).toBeGreaterThanOrEqual(4)
    expect(seenA).toEqual(expected)
    expect(seenB).toEqual(expected)
  })

  test('a node that stops heartbeating is purged by the others; each of its users leaves exactly once', async () => {
    const survivorTtlMs = 3000
    // Both survivors look for silent nodes often, so they race to purge the dead one.
    const [a, b] = [
      node({ nodeTtlMs: survivorTtlMs, checkEveryMs: 50 }),
      node({ nodeTtlMs: survivorTtlMs, checkEveryMs: 50 }),
    ]
    const dead = node({ nodeTtlMs: 1000 })
    const ids = { a: `A-${prefix}`, b: `B-${prefix}`, dead: `D-${prefix}` }
    const [r, s] = [room('death'), room('death')]
    const beating = setInterval(() => {
      void a.heartbeat(ids.a).catch(() => {})
      void b.heartbeat(ids.b).catch(() => {})
    }, 200)
    onTestFinished(() => clearInterval(beating))
    await Promise.all([a.heartbeat(ids.a), b.heartbeat(ids.b), dead.heartbeat(ids.dead)])

    const seen = {
      a: { r: await watch(a, r), s: await watch(a, s) },
      b: { r: await watch(b, r), s: await watch(b, s) },
    }
    const entry = (n: string, key: string, name: string) => ({
      key,
      name,
      node: n,
      connection: `${n}/${key}`,
    })
    await dead.add(r, entry(ids.dead, 'id:1', 'ann'))
    await dead.add(r, entry(ids.dead, 'id:2', 'bob'))
    await a.add(r, entry(ids.a, 'id:2', 'bob')) // bob is also on a live node: he stays
    await b.add(r, entry(ids.b, 'id:3', 'cat'))
    await dead.add(s, entry(ids.dead, 'id:4', 'dan'))
    await a.add(s, entry(ids.a, 'id:5', 'eve'))
    // The dead node goes silent: no more heartbeats, its connections closed without a goodbye.
    await dead.close()

    for (const node of [seen.a, seen.b]) {
      await expect.poll(() => leftOf(node.r, 'ann'), { timeout: 20_000 }).toBe(1)
      await expect.poll(() => leftOf(node.s, 'dan'), { timeout: 20_000 }).toBe(1)
    }
    // Further checks by both survivors find nothing more to report.
    await Promise.all([a.purgeExpired(), b.purgeExpired()])
    expect(await a.purgeExpired()).toEqual([])
    // A later change on the room shows the feed has delivered everything before it.
    await b.add(r, entry(ids.b, 'id:9', 'zed'))
    for (const node of [seen.a, seen.b]) {
      await expect.poll(() => node.r.some((d) => d.joined.includes('zed'))).toBe(true)
      expect(node.r).toEqual([
        { roomId: r, node: ids.dead, joined: ['ann'], left: [], count: 1 },
        { roomId: r, node: ids.dead, joined: ['bob'], left: [], count: 2 },
        { roomId: r, node: ids.b, joined: ['cat'], left: [], count: 3 },
        { roomId: r, node: ids.dead, joined: [], left: ['ann'], count: 2 },
        { roomId: r, node: ids.b, joined: ['zed'], left: [], count: 3 },
      ])
      expect(node.s).toEqual([
        { roomId: s, node: ids.dead, joined: ['dan'], left: [], count: 1 },
        { roomId: s, node: ids.a, joined: ['eve'], left: [], count: 2 },
        { roomId: s, node: ids.dead, joined: [], left: ['dan'], count: 1 },
      ])
    }
    expect(await a.list(r, 10)).toEqual({ users: ['bob', 'cat', 'zed'], count: 3 })
    expect(await b.list(s, 10)).toEqual({ users: ['eve'], count: 1 })
  })

  test('a node that beats again before anyone purged it keeps its entries', async () => {
    const [a, b] = [node({ nodeTtlMs: 5000 }), node({ nodeTtlMs: 5000 })]
    const ids = { a: `A2-${prefix}`, b: `B2-${prefix}` }
    const r = room('alive')
    await a.heartbeat(ids.a)
    await b.heartbeat(ids.b)
    await b.add(r, { key: 'id:1', name: 'ann', node: ids.b, connection: 'c1' })
    expect(await a.purgeExpired()).not.toContain(ids.b)
    expect(await a.list(r, 10)).toEqual({ users: ['ann'], count: 1 })
  })
})
