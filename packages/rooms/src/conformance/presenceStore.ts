import { describe, expect, test } from 'vitest'
import type { PresenceDiff, PresenceEntry, PresenceStore } from '../PresenceStore.js'
import { roomIds, type StoreTarget, useStore } from './target.js'

/** A `PresenceStore` under test. */
export interface PresenceStoreTarget extends StoreTarget<PresenceStore> {
  /**
   * The node TTL the store made by `create` was given, when it drops silent nodes: the kit then
   * checks that a node which beat once and then stopped is dropped (and announced) once,
   * waiting generously past it. Omit for a store without expiry (the test is skipped).
   */
  nodeTtlMs?: number
}

/** One connection's entry; by default the anonymous case (connection id = key) on node n1. */
const entry = (key: string, name: string, connection = key, node = 'n1'): PresenceEntry => ({
  key,
  name,
  connection,
  node,
})

/**
 * Registers the `PresenceStore` conformance suite (vitest `describe`/`test`) for one
 * implementation. Every call is awaited and the change feed is waited on, never assumed
 * synchronous; `rooms()` is compared as a set restricted to the test's own rooms, and node ids
 * are the test's own, so the kit can run against a store that others share.
 */
export function presenceStoreConformance(target: PresenceStoreTarget): void {
  const room = roomIds('presence')
  const nodeId = () => room('node')

  const roomsOf = async (store: PresenceStore, ids: string[]) =>
    (await store.rooms())
      .filter((r) => ids.includes(r.id))
      .sort((x, y) => ids.indexOf(x.id) - ids.indexOf(y.id))

  /** Records the feed's diffs for the test's rooms; `until` waits for a condition on them. */
  async function feed(store: PresenceStore, ids: () => string[]) {
    const diffs: PresenceDiff[] = []
    const waiters = new Set<() => void>()
    const off = await store.onDiff((diff) => {
      if (!ids().includes(diff.roomId)) return
      diffs.push(diff)
      for (const w of [...waiters]) w()
    })
    const until = (check: (d: PresenceDiff[]) => boolean, what: string, ms = 5000) =>
      new Promise<void>((resolve, reject) => {
        if (check(diffs)) return resolve()
        const timer = setTimeout(() => {
          waiters.delete(w)
          reject(new Error(`presence feed: ${what} did not arrive; got ${JSON.stringify(diffs)}`))
        }, ms)
        const w = () => {
          if (!check(diffs)) return
          clearTimeout(timer)
          waiters.delete(w)
          resolve()
        }
        waiters.add(w)
      })
    return { diffs, until, off }
  }

  describe(`PresenceStore conformance: ${target.name}`, () => {
    test('counts connections per user: the first one joins, the last one leaves', async () => {
      const { store } = await useStore(target)
      const r = room('r')
      expect(await store.add(r, entry('id:1', 'ann', 'c1'))).toEqual({ first: true, count: 1 })
      expect(await store.add(r, entry('id:1', 'ann', 'c2'))).toEqual({ first: false, count: 1 })
      expect(await store.add(r, entry('id:1', 'ann', 'c3', 'n2'))).toEqual({ first: false, count: 1 })
      expect(await store.add(r, entry('id:2', 'bob'))).toEqual({ first: true, count: 2 })
      expect(await store.remove(r, entry('id:1', 'ann', 'c1'))).toEqual({ last: false, count: 2 })
      expect(await store.remove(r, entry('id:1', 'ann', 'c3', 'n2'))).toEqual({ last: false, count: 2 })
      expect(await store.list(r, 10)).toEqual({ users: ['ann', 'bob'], count: 2 })
      expect(await store.remove(r, entry('id:1', 'ann', 'c2'))).toEqual({ last: true, count: 1 })
      expect(await store.list(r, 10)).toEqual({ users: ['bob'], count: 1 })
      expect(await store.remove(r, entry('id:2', 'bob'))).toEqual({ last: true, count: 0 })
      expect(await store.list(r, 10)).toEqual({ users: [], count: 0 })
    })

    test('an entry added twice counts once; removing one that is not there changes nothing', async () => {
      const { store } = await useStore(target)
      const r = room('r')
      expect(await store.add(r, entry('id:1', 'ann', 'c1'))).toEqual({ first: true, count: 1 })
      expect(await store.add(r, entry('id:1', 'ann', 'c1'))).toEqual({ first: false, count: 1 })
      expect(await store.remove(room('never'), entry('id:1', 'ann', 'c1'))).toEqual({ last: false, count: 0 })
      expect(await store.remove(r, entry('id:2', 'bob'))).toEqual({ last: false, count: 1 })
      // The same connection id on another node is another entry, and not this one.
      expect(await store.remove(r, entry('id:1', 'ann', 'c1', 'n2'))).toEqual({ last: false, count: 1 })
      expect(await store.remove(r, entry('id:1', 'ann', 'c1'))).toEqual({ last: true, count: 0 })
      expect(await store.remove(r, entry('id:1', 'ann', 'c1'))).toEqual({ last: false, count: 0 })
    })

    test('a name held by another user is taken in that room, and free in others', async () => {
      const { store } = await useStore(target)
      const r = room('r')
      const other = room('other')
      await store.add(r, entry('anon:c1', 'ann'))
      expect(await store.add(r, entry('anon:c2', 'ann'))).toEqual({ taken: true })
      expect(await store.list(r, 10)).toEqual({ users: ['ann'], count: 1 })
      expect(await store.add(other, entry('anon:c2', 'ann'))).toEqual({ first: true, count: 1 })
      // The refused user holds nothing: removing its entry changes nothing.
      expect(await store.remove(r, entry('anon:c2', 'ann'))).toEqual({ last: false, count: 1 })
      expect(await store.list(r, 10)).toEqual({ users: ['ann'], count: 1 })
    })

    test('one user shows under one name per room', async () => {
      const { store } = await useStore(target)
      const r = room('r')
      const other = room('other')
      await store.add(r, entry('id:1', 'ann', 'c1'))
      expect(await store.add(r, entry('id:1', 'annie', 'c2'))).toEqual({ taken: true })
      expect(await store.list(r, 10)).toEqual({ users: ['ann'], count: 1 })
      expect(await store.add(other, entry('id:1', 'annie', 'c2'))).toEqual({ first: true, count: 1 })
      // The refused add was not counted as a connection.
      expect(await store.remove(r, entry('id:1', 'ann', 'c1'))).toEqual({ last: true, count: 0 })
    })

    test('a name is free again once its last connection left', async () => {
      const { store } = await useStore(target)
      const r = room('r')
      await store.add(r, entry('anon:c1', 'ann'))
      await store.remove(r, entry('anon:c1', 'ann'))
      expect(await store.add(r, entry('anon:c2', 'ann'))).toEqual({ first: true, count: 1 })
      // And the user who left may come back under another name.
      expect(await store.add(r, entry('anon:c1', 'ann2'))).toEqual({ first: true, count: 2 })
    })

    test('list keeps join order and caps the names, not the count', async () => {
      const { store } = await useStore(target)
      const r = room('r')
      for (const n of ['a', 'b', 'c', 'd']) await store.add(r, entry(`k:${n}`, n))
      expect(await store.list(r, 2)).toEqual({ users: ['a', 'b'], count: 4 })
      expect(await store.list(r, 10)).toEqual({ users: ['a', 'b', 'c', 'd'], count: 4 })
      // Another connection of a present user keeps its place; one who left and came back is last.
      await store.add(r, entry('k:a', 'a', 'second'))
      await store.remove(r, entry('k:b', 'b'))
      await store.add(r, entry('k:b', 'b'))
      expect(await store.list(r, 10)).toEqual({ users: ['a', 'c', 'd', 'b'], count: 4 })
      expect(await store.list(room('empty'), 10)).toEqual({ users: [], count: 0 })
    })

    test('rooms lists every room with users, and its user count', async () => {
      const { store } = await useStore(target)
      const r = room('r')
      const s = room('s')
      const ids = [r, s]
      expect(await roomsOf(store, ids)).toEqual([])
      for (const n of ['a', 'b', 'c']) await store.add(r, entry(n, n))
      await store.add(r, entry('a', 'a', 'another'))
      await store.add(s, entry('x', 'x'))
      expect(await roomsOf(store, ids)).toEqual([
        { id: r, userCount: 3 },
        { id: s, userCount: 1 },
      ])
      await store.remove(s, entry('x', 'x'))
      expect(await roomsOf(store, ids)).toEqual([{ id: r, userCount: 3 }])
    })

    test('the feed reports each join and leave once, with the node that made it', async () => {
      const { store, teardown } = await useStore(target)
      const r = room('r')
      const { diffs, until, off } = await feed(store, () => [r])
      teardown(off)
      await store.add(r, entry('id:1', 'ann', 'c1', 'n1'))
      await store.add(r, entry('id:1', 'ann', 'c2', 'n2'))
      await store.add(r, entry('id:2', 'bob', 'c3', 'n2'))
      await store.remove(r, entry('id:1', 'ann', 'c1', 'n1'))
      await store.remove(r, entry('id:1', 'ann', 'c2', 'n2'))
      await until((d) => d.length >= 3, 'three diffs')
      expect(diffs).toEqual([
        { roomId: r, node: 'n1', joined: ['ann'], left: [], count: 1 },
        { roomId: r, node: 'n2', joined: ['bob'], left: [], count: 2 },
        { roomId: r, node: 'n2', joined: [], left: ['ann'], count: 1 },
      ])
    })

    test('dropNode removes every entry of a node: users with no other connection leave, announced once', async () => {
      const { store, teardown } = await useStore(target)
      const [r, s] = [room('r'), room('s')]
      const [dead, alive] = [nodeId(), nodeId()]
      await store.add(r, entry('id:1', 'ann', 'c1', dead))
      await store.add(r, entry('id:2', 'bob', 'c2', dead))
      await store.add(r, entry('id:2', 'bob', 'c3', alive))
      await store.add(s, entry('id:3', 'cat', 'c4', dead))
      await store.add(s, entry('id:4', 'dan', 'c5', alive))
      const { diffs, until, off } = await feed(store, () => [r, s])
      teardown(off)
      await store.dropNode(dead)
      await until((d) => d.length >= 2, 'a diff for each room')
      const byRoom = (id: string) => diffs.filter((d) => d.roomId === id)
      expect(byRoom(r)).toEqual([{ roomId: r, node: dead, joined: [], left: ['ann'], count: 1 }])
      expect(byRoom(s)).toEqual([{ roomId: s, node: dead, joined: [], left: ['cat'], count: 1 }])
      expect(await store.list(r, 10)).toEqual({ users: ['bob'], count: 1 })
      expect(await store.list(s, 10)).toEqual({ users: ['dan'], count: 1 })
      await store.dropNode(dead)
      // Nothing more to drop: no further diff, and the rest is untouched.
      await store.add(r, entry('id:9', 'eve', 'c9', alive))
      await until((d) => d.some((x) => x.joined.includes('eve')), 'eve joining')
      expect(diffs).toHaveLength(3)
    })

    test.skipIf(target.nodeTtlMs === undefined)(
      'a node that stops its heartbeats is dropped after the TTL, once, when another node beats',
      async () => {
        const { store, teardown } = await useStore(target)
        const ttl = target.nodeTtlMs!
        const r = room('r')
        const [dead, alive] = [nodeId(), nodeId()]
        await store.heartbeat(dead)
        await store.heartbeat(alive)
        await store.add(r, entry('id:1', 'ann', 'c1', dead))
        await store.add(r, entry('id:2', 'bob', 'c2', alive))
        const { diffs, until, off } = await feed(store, () => [r])
        teardown(off)
        // The live node keeps beating; the other has gone silent. Waits generously past the TTL.
        const beating = setInterval(() => void store.heartbeat(alive), Math.max(5, ttl / 4))
        teardown(() => clearInterval(beating))
        await until((d) => d.some((x) => x.left.includes('ann')), 'ann leaving', ttl * 20 + 5000)
        clearInterval(beating)
        expect(diffs).toEqual([{ roomId: r, node: dead, joined: [], left: ['ann'], count: 1 }])
        expect(await store.list(r, 10)).toEqual({ users: ['bob'], count: 1 })
      },
    )

    test('two users claiming one name at once: exactly one gets it', async () => {
      const { store } = await useStore(target)
      const rooms = Array.from({ length: 6 }, () => room('r'))
      await Promise.all(
        rooms.map(async (r) => {
          const results = await Promise.all([
            store.add(r, entry('anon:c1', 'ann')),
            store.add(r, entry('anon:c2', 'ann')),
          ])
          expect(results.filter((x) => 'taken' in x)).toEqual([{ taken: true }])
          expect(results.filter((x) => !('taken' in x))).toEqual([{ first: true, count: 1 }])
          expect(await store.list(r, 10)).toEqual({ users: ['ann'], count: 1 })
        }),
      )
    })

    test('connections of one user added and removed at once: one first, one last', async () => {
      const { store } = await useStore(target)
      const r = room('r')
      const conns = ['c1', 'c2', 'c3'].map((c) => entry('id:1', 'ann', c))
      const added = await Promise.all(conns.map((e) => store.add(r, e)))
      expect(added.filter((x) => 'first' in x && x.first)).toHaveLength(1)
      expect(added.every((x) => 'count' in x && x.count === 1)).toBe(true)
      const removed = await Promise.all(conns.map((e) => store.remove(r, e)))
      expect(removed.filter((x) => x.last)).toEqual([{ last: true, count: 0 }])
      expect(await store.list(r, 10)).toEqual({ users: [], count: 0 })
    })
  })
}
