import { describe, expect, test } from 'vitest'
import type { PresenceStore } from '../PresenceStore.js'
import { roomIds, type StoreTarget, useStore } from './target.js'

/** A `PresenceStore` under test. */
export type PresenceStoreTarget = StoreTarget<PresenceStore>

/**
 * Registers the `PresenceStore` conformance suite (vitest `describe`/`test`) for one
 * implementation. Every call is awaited; `rooms()` is compared as a set, restricted to the
 * test's own rooms (a shared store holds others).
 */
export function presenceStoreConformance(target: PresenceStoreTarget): void {
  const room = roomIds('presence')

  const roomsOf = async (store: PresenceStore, ids: string[]) =>
    (await store.rooms())
      .filter((r) => ids.includes(r.id))
      .sort((x, y) => ids.indexOf(x.id) - ids.indexOf(y.id))

  describe(`PresenceStore conformance: ${target.name}`, () => {
    test('counts connections per user: the first one joins, the last one leaves', async () => {
      const { store } = await useStore(target)
      const r = room('r')
      expect(await store.add(r, { key: 'id:1', name: 'ann' })).toEqual({ first: true, count: 1 })
      expect(await store.add(r, { key: 'id:1', name: 'ann' })).toEqual({ first: false, count: 1 })
      expect(await store.add(r, { key: 'id:1', name: 'ann' })).toEqual({ first: false, count: 1 })
      expect(await store.add(r, { key: 'id:2', name: 'bob' })).toEqual({ first: true, count: 2 })
      expect(await store.remove(r, 'id:1')).toEqual({ last: false, count: 2 })
      expect(await store.remove(r, 'id:1')).toEqual({ last: false, count: 2 })
      expect(await store.list(r, 10)).toEqual({ users: ['ann', 'bob'], count: 2 })
      expect(await store.remove(r, 'id:1')).toEqual({ last: true, count: 1 })
      expect(await store.list(r, 10)).toEqual({ users: ['bob'], count: 1 })
      expect(await store.remove(r, 'id:2')).toEqual({ last: true, count: 0 })
      expect(await store.list(r, 10)).toEqual({ users: [], count: 0 })
    })

    test('a name held by another user is taken in that room, and free in others', async () => {
      const { store } = await useStore(target)
      const r = room('r')
      const other = room('other')
      await store.add(r, { key: 'anon:c1', name: 'ann' })
      expect(await store.add(r, { key: 'anon:c2', name: 'ann' })).toEqual({ taken: true })
      expect(await store.list(r, 10)).toEqual({ users: ['ann'], count: 1 })
      expect(await store.add(other, { key: 'anon:c2', name: 'ann' })).toEqual({ first: true, count: 1 })
      // The refused user holds nothing: removing its key changes nothing.
      expect(await store.remove(r, 'anon:c2')).toEqual({ last: false, count: 1 })
      expect(await store.list(r, 10)).toEqual({ users: ['ann'], count: 1 })
    })

    test('one user shows under one name per room', async () => {
      const { store } = await useStore(target)
      const r = room('r')
      const other = room('other')
      await store.add(r, { key: 'id:1', name: 'ann' })
      expect(await store.add(r, { key: 'id:1', name: 'annie' })).toEqual({ taken: true })
      expect(await store.list(r, 10)).toEqual({ users: ['ann'], count: 1 })
      expect(await store.add(other, { key: 'id:1', name: 'annie' })).toEqual({ first: true, count: 1 })
      // The refused add was not counted as a connection.
      expect(await store.remove(r, 'id:1')).toEqual({ last: true, count: 0 })
    })

    test('a name is free again once its last connection left', async () => {
      const { store } = await useStore(target)
      const r = room('r')
      await store.add(r, { key: 'anon:c1', name: 'ann' })
      await store.remove(r, 'anon:c1')
      expect(await store.add(r, { key: 'anon:c2', name: 'ann' })).toEqual({ first: true, count: 1 })
      // And the user who left may come back under another name.
      expect(await store.add(r, { key: 'anon:c1', name: 'ann2' })).toEqual({ first: true, count: 2 })
    })

    test('list keeps join order and caps the names, not the count', async () => {
      const { store } = await useStore(target)
      const r = room('r')
      for (const n of ['a', 'b', 'c', 'd']) await store.add(r, { key: `k:${n}`, name: n })
      expect(await store.list(r, 2)).toEqual({ users: ['a', 'b'], count: 4 })
      expect(await store.list(r, 10)).toEqual({ users: ['a', 'b', 'c', 'd'], count: 4 })
      // Another connection of a present user keeps its place; one who left and came back is last.
      await store.add(r, { key: 'k:a', name: 'a' })
      await store.remove(r, 'k:b')
      await store.add(r, { key: 'k:b', name: 'b' })
      expect(await store.list(r, 10)).toEqual({ users: ['a', 'c', 'd', 'b'], count: 4 })
      expect(await store.list(room('empty'), 10)).toEqual({ users: [], count: 0 })
    })

    test('rooms lists every room with users, and its user count', async () => {
      const { store } = await useStore(target)
      const r = room('r')
      const s = room('s')
      const ids = [r, s]
      expect(await roomsOf(store, ids)).toEqual([])
      for (const n of ['a', 'b', 'c']) await store.add(r, { key: n, name: n })
      await store.add(r, { key: 'a', name: 'a' })
      await store.add(s, { key: 'x', name: 'x' })
      expect(await roomsOf(store, ids)).toEqual([
        { id: r, userCount: 3 },
        { id: s, userCount: 1 },
      ])
      await store.remove(s, 'x')
      expect(await roomsOf(store, ids)).toEqual([{ id: r, userCount: 3 }])
    })

    test('remove of a key that is not there answers the count and changes nothing', async () => {
      const { store } = await useStore(target)
      const r = room('r')
      expect(await store.remove(room('never'), 'id:1')).toEqual({ last: false, count: 0 })
      await store.add(r, { key: 'id:1', name: 'ann' })
      expect(await store.remove(r, 'id:2')).toEqual({ last: false, count: 1 })
      expect(await store.list(r, 10)).toEqual({ users: ['ann'], count: 1 })
    })

    test('clear forgets a room: its names are free and its users hold no connections', async () => {
      const { store } = await useStore(target)
      const r = room('r')
      const other = room('other')
      await store.add(r, { key: 'id:1', name: 'ann' })
      await store.add(r, { key: 'id:1', name: 'ann' })
      await store.add(r, { key: 'id:2', name: 'bob' })
      await store.add(other, { key: 'id:1', name: 'ann' })
      await store.clear(r)
      expect(await store.list(r, 10)).toEqual({ users: [], count: 0 })
      expect(await roomsOf(store, [r, other])).toEqual([{ id: other, userCount: 1 }])
      expect(await store.remove(r, 'id:1')).toEqual({ last: false, count: 0 })
      expect(await store.add(r, { key: 'id:3', name: 'ann' })).toEqual({ first: true, count: 1 })
      expect(await store.list(other, 10)).toEqual({ users: ['ann'], count: 1 })
      await store.clear(room('never'))
    })

    test('two users claiming one name at once: exactly one gets it', async () => {
      const { store } = await useStore(target)
      const rooms = Array.from({ length: 6 }, () => room('r'))
      await Promise.all(
        rooms.map(async (r) => {
          const results = await Promise.all([
            store.add(r, { key: 'anon:c1', name: 'ann' }),
            store.add(r, { key: 'anon:c2', name: 'ann' }),
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
      const user = { key: 'id:1', name: 'ann' }
      const added = await Promise.all([store.add(r, user), store.add(r, user), store.add(r, user)])
      expect(added.filter((x) => 'first' in x && x.first)).toHaveLength(1)
      expect(added.every((x) => 'count' in x && x.count === 1)).toBe(true)
      const removed = await Promise.all([
        store.remove(r, 'id:1'),
        store.remove(r, 'id:1'),
        store.remove(r, 'id:1'),
      ])
      expect(removed.filter((x) => x.last)).toEqual([{ last: true, count: 0 }])
      expect(await store.list(r, 10)).toEqual({ users: [], count: 0 })
    })
  })
}
