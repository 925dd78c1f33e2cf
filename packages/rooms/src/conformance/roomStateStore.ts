import { describe, expect, test } from 'vitest'
import type { RoomStateStore } from '../RoomStateStore.js'
import { roomIds, type StoreTarget, useStore } from './target.js'

/** A `RoomStateStore` under test. */
export interface RoomStateStoreTarget extends StoreTarget<RoomStateStore> {
  /**
   * The store records the epoch a snapshot's offset counts in (`save`'s fourth argument): checked
   * when true (load answers it; a save in another epoch replaces the snapshot whatever its
   * offset; a save in a retired epoch is ignored). Default false.
   */
  epochs?: boolean
}

/**
 * Registers the `RoomStateStore` conformance suite (vitest `describe`/`test`) for one
 * implementation. States are JSON values (a remote store serializes them). Every call is
 * awaited, so a synchronous store passes as an asynchronous one does.
 */
export function roomStateStoreConformance(target: RoomStateStoreTarget): void {
  const room = roomIds('state')

  describe(`RoomStateStore conformance: ${target.name}`, () => {
    test('load of a room never saved is undefined', async () => {
      const { store } = await useStore(target)
      expect(await store.load(room('r'))).toBeUndefined()
    })

    test('save then load answers the state and its offset', async () => {
      const { store } = await useStore(target)
      const states: unknown[] = [
        { board: ['x', null, 'o'], turn: 2, players: { x: 'ann', o: 'bob' } },
        'text',
        42,
        [1, [2, 3]],
        null,
      ]
      const rooms = states.map(() => room('r'))
      for (const [k, state] of states.entries()) await store.save(rooms[k]!, state, k + 1)
      for (const [k, state] of states.entries()) {
        expect(await store.load(rooms[k]!)).toEqual({ state, offset: k + 1 })
      }
    })

    test('rooms are independent', async () => {
      const { store } = await useStore(target)
      const a = room('a')
      const b = room('b')
      await store.save(a, { n: 'a' }, 5)
      await store.save(b, { n: 'b' }, 1)
      expect(await store.load(a)).toEqual({ state: { n: 'a' }, offset: 5 })
      expect(await store.load(b)).toEqual({ state: { n: 'b' }, offset: 1 })
    })

    test('a newer offset replaces the snapshot, and so does an equal one', async () => {
      const { store } = await useStore(target)
      const r = room('r')
      await store.save(r, { v: 1 }, 3)
      await store.save(r, { v: 2 }, 5)
      expect(await store.load(r)).toEqual({ state: { v: 2 }, offset: 5 })
      await store.save(r, { v: 3 }, 5)
      expect(await store.load(r)).toEqual({ state: { v: 3 }, offset: 5 })
    })

    test('an older save arriving later is ignored', async () => {
      const { store } = await useStore(target)
      const r = room('r')
      await store.save(r, { v: 'new' }, 9)
      await store.save(r, { v: 'old' }, 4)
      expect(await store.load(r)).toEqual({ state: { v: 'new' }, offset: 9 })
    })

    test('two saves in flight together: the newest offset wins whichever lands last', async () => {
      const { store } = await useStore(target)
      // Several rooms, both call orders, so an asynchronous store lands them both ways.
      const rooms = Array.from({ length: 8 }, () => room('r'))
      await Promise.all(
        rooms.map((r, k) =>
          k % 2 === 0
            ? Promise.all([store.save(r, { v: 'old' }, 3), store.save(r, { v: 'new' }, 5)])
            : Promise.all([store.save(r, { v: 'new' }, 5), store.save(r, { v: 'old' }, 3)]),
        ),
      )
      for (const r of rooms) expect(await store.load(r)).toEqual({ state: { v: 'new' }, offset: 5 })
    })

    describe.runIf(target.epochs === true)('epochs', () => {
      test('load answers the epoch saved with the snapshot', async () => {
        const { store } = await useStore(target)
        const r = room('r')
        await store.save(r, { v: 1 }, 7, 'e1')
        expect(await store.load(r)).toEqual({ state: { v: 1 }, offset: 7, epoch: 'e1' })
      })

      test('in one epoch an older save is ignored; a save in another epoch replaces whatever its offset', async () => {
        const { store } = await useStore(target)
        const r = room('r')
        await store.save(r, { v: 'e1 at 40' }, 40, 'e1')
        await store.save(r, { v: 'e1 at 3' }, 3, 'e1')
        expect(await store.load(r)).toEqual({ state: { v: 'e1 at 40' }, offset: 40, epoch: 'e1' })
        // The log forgot the room and started over at 0 in a new epoch.
        await store.save(r, { v: 'e2 at 1' }, 1, 'e2')
        expect(await store.load(r)).toEqual({ state: { v: 'e2 at 1' }, offset: 1, epoch: 'e2' })
        await store.save(r, { v: 'e2 at 2' }, 2, 'e2')
        expect(await store.load(r)).toEqual({ state: { v: 'e2 at 2' }, offset: 2, epoch: 'e2' })
      })

      test('a save in an epoch that another epoch replaced is ignored, whatever its offset', async () => {
        const { store } = await useStore(target)
        const r = room('r')
        await store.save(r, { v: 'e1 at 40' }, 40, 'e1')
        // The log started the room over in e2; a node still in e1 saves late, with a higher offset.
        await store.save(r, { v: 'e2 at 1' }, 1, 'e2')
        await store.save(r, { v: 'e1 at 50, late' }, 50, 'e1')
        expect(await store.load(r)).toEqual({ state: { v: 'e2 at 1' }, offset: 1, epoch: 'e2' })
        // Again in e3: both earlier epochs stay retired.
        await store.save(r, { v: 'e3 at 2' }, 2, 'e3')
        await store.save(r, { v: 'e2 at 9, late' }, 9, 'e2')
        await store.save(r, { v: 'e1 at 60, late' }, 60, 'e1')
        expect(await store.load(r)).toEqual({ state: { v: 'e3 at 2' }, offset: 2, epoch: 'e3' })
        await store.save(r, { v: 'e3 at 3' }, 3, 'e3')
        expect(await store.load(r)).toEqual({ state: { v: 'e3 at 3' }, offset: 3, epoch: 'e3' })
        // Deleted, the room starts a new life: its old epochs are forgotten with the snapshot.
        await store.delete(r)
        await store.save(r, { v: 'e1 again' }, 1, 'e1')
        expect(await store.load(r)).toEqual({ state: { v: 'e1 again' }, offset: 1, epoch: 'e1' })
      })

      test('a save without an epoch compares by offset alone', async () => {
        const { store } = await useStore(target)
        const r = room('r')
        await store.save(r, { v: 'new' }, 9, 'e1')
        await store.save(r, { v: 'old' }, 4)
        expect((await store.load(r))?.state).toEqual({ v: 'new' })
        await store.save(r, { v: 'newer' }, 10)
        expect(await store.load(r)).toMatchObject({ state: { v: 'newer' }, offset: 10 })
      })
    })

    test('delete forgets the snapshot; a later save of any offset is kept', async () => {
      const { store } = await useStore(target)
      const r = room('r')
      const other = room('other')
      await store.save(r, { v: 1 }, 10)
      await store.save(other, { v: 'kept' }, 1)
      await store.delete(r)
      expect(await store.load(r)).toBeUndefined()
      expect(await store.load(other)).toEqual({ state: { v: 'kept' }, offset: 1 })
      // The room was deleted, not rolled back: a new life starts from any offset.
      await store.save(r, { v: 2 }, 1)
      expect(await store.load(r)).toEqual({ state: { v: 2 }, offset: 1 })
      await store.delete(room('never-saved'))
    })
  })
}
