import { expect, test } from 'vitest'
import { z } from 'zod'
import { defineRoom, MemoryRoomLog, MemoryRoomStateStore } from '../src/index.js'
import { setup } from './roomNode.js'

/** A shared room whose state follows the log: a set of items, where applying an item twice is harmless. */
function itemsRoom(states: Map<string, Set<string>>) {
  return defineRoom<Set<string>, { add: z.ZodObject<{ item: z.ZodString }>; save: z.ZodObject<{}> }>({
    placement: 'shared',
    persist: true,
    messages: { add: z.object({ item: z.string() }), save: z.object({}) },
    init: (roomId) => {
      const items = new Set<string>()
      states.set(roomId, items)
      return items
    },
    snapshot: (items) => [...items].sort(),
    restore: (saved, roomId) => {
      const items = new Set(saved as string[])
      states.set(roomId, items)
      return items
    },
    replay: (items, frame) => {
      if (frame.type === 'added') items.add(String(frame.item))
      return items
    },
    onMessage: (ctx, msg, items) => {
      if (msg.type === 'save') {
        ctx.setState(items)
        ctx.reply({ type: 'saved' })
        return
      }
      items.add(msg.item)
      ctx.publish({ type: 'added', roomId: ctx.roomId, item: msg.item })
    },
  })
}

test('a shared room that persists with replay applies every node’s frames; its snapshot covers the last one applied', async () => {
  const log = new MemoryRoomLog({ size: 1000 })
  const state = new MemoryRoomStateStore()
  const onA = new Map<string, Set<string>>()
  const onB = new Map<string, Set<string>>()
  const a = await setup({ log, state, rooms: itemsRoom(onA) })
  const b = await setup({ log, state, rooms: itemsRoom(onB) })
  const ann = await a.member('ann')
  const bob = await b.member('bob')
  await a.manager.join('r', { member: ann })
  await b.manager.join('r', { member: bob })
  const expected: string[] = []
  for (let i = 0; i < 20; i++) {
    a.manager.cast('r', { type: 'custom', member: ann, frame: { type: 'add', roomId: 'r', item: `a${i}` } })
    b.manager.cast('r', { type: 'custom', member: bob, frame: { type: 'add', roomId: 'r', item: `b${i}` } })
    expected.push(`a${i}`, `b${i}`)
  }
  expected.sort()
  await expect.poll(() => [...(onA.get('r') ?? [])].sort(), { timeout: 10_000 }).toEqual(expected)
  await expect.poll(() => [...(onB.get('r') ?? [])].sort(), { timeout: 10_000 }).toEqual(expected)
  // Node b saves after it applied all 40 frames: the snapshot says offset 40, in the log's epoch.
  await expect.poll(() => b.manager.whereis('r') !== undefined).toBe(true)
  b.manager.cast('r', { type: 'custom', member: bob, frame: { type: 'save', roomId: 'r' } })
  await expect.poll(() => bob.frames.some((f) => f.type === 'saved')).toBe(true)
  const top = (await log.read('r', { limit: 1 })).top
  expect(top.offset).toBe(40)
  expect(state.load('r')).toEqual({ state: expected, offset: 40, epoch: top.epoch })
})

test('a room whose log forgot it (a new epoch at offset 0) restores its snapshot and saves again from offset 1', async () => {
  // The default MemoryRoomLog forgets a room when its last listener closes.
  const log = new MemoryRoomLog()
  const state = new MemoryRoomStateStore()
  const on = new Map<string, Set<string>>()
  const node = await setup({ log, state, rooms: itemsRoom(on), emptyGraceMs: 20 })
  const add = (member: Awaited<ReturnType<typeof node.member>>, item: string) =>
    node.manager.cast('r', { type: 'custom', member, frame: { type: 'add', roomId: 'r', item } })
  const save = async (member: Awaited<ReturnType<typeof node.member>>) => {
    const before = member.frames.filter((f) => f.type === 'saved').length
    node.manager.cast('r', { type: 'custom', member, frame: { type: 'save', roomId: 'r' } })
    await expect.poll(() => member.frames.filter((f) => f.type === 'saved').length).toBe(before + 1)
  }
  const ann = await node.member('ann')
  await node.manager.join('r', { member: ann })
  for (const item of ['x', 'y', 'z']) add(ann, item)
  await expect.poll(() => on.get('r')?.size).toBe(3)
  await save(ann)
  const first = state.load('r')!
  expect(first).toMatchObject({ state: ['x', 'y', 'z'], offset: 3 })
  const ref = node.manager.whereis('r')!
  await node.system.call(ref, { type: 'leave', member: ann })
  await node.system.whenExited(ref)
  // The room comes back on a new epoch at offset 0: its state is the snapshot's, and its saves
  // (at offsets lower than 3) replace the old epoch's snapshot instead of being ignored.
  const bob = await node.member('bob')
  await node.manager.join('r', { member: bob })
  add(bob, 'w')
  await expect.poll(() => on.get('r')?.size).toBe(4)
  await save(bob)
  const second = state.load('r')!
  expect(second.epoch).not.toBe(first.epoch)
  expect(second).toMatchObject({ state: ['w', 'x', 'y', 'z'], offset: 1 })
})
