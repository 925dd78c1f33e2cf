import { expect, test } from 'vitest'
import { z } from 'zod'
import { defineRoom, MemoryRoomStateStore } from '../src/index.js'
import { setup } from './roomNode.js'

/** A live, mutable state (like a Yjs document) that the store must not keep by reference. */
class Tally {
  constructor(public items: string[] = []) {}
}

test('snapshot decides what a persisting room saves, restore reads it back before the log replay', async () => {
  const state = new MemoryRoomStateStore()
  const Room = defineRoom<Tally, { add: z.ZodObject<{ item: z.ZodString }>; boom: z.ZodObject<{}> }>({
    persist: true,
    messages: { add: z.object({ item: z.string() }), boom: z.object({}) },
    init: () => new Tally(),
    snapshot: (tally) => ({ saved: tally.items.join(',') }),
    restore: (saved) => new Tally((saved as { saved: string }).saved.split(',').filter(Boolean)),
    replay: (tally, frame) => {
      tally.items.push(String(frame.item))
      return tally
    },
    onMessage: (ctx, msg, tally) => {
      if (msg.type === 'boom') throw new Error('boom')
      tally.items.push(msg.item)
      ctx.publish({ type: 'added', roomId: ctx.roomId, item: msg.item })
      // Saved after the first item only: the second is in the log alone.
      if (tally.items.length === 1) ctx.setState(tally)
      ctx.reply({ type: 'items', items: [...tally.items] })
    },
  })
  const { manager, member, system } = await setup({ rooms: Room, state })
  const ann = await member('ann')
  await manager.join('t', { member: ann })
  for (const item of ['a', 'b'])
    manager.cast('t', { type: 'custom', member: ann, frame: { type: 'add', roomId: 't', item } })
  await expect.poll(() => ann.frames.filter((f) => f.type === 'items').at(-1)?.items).toEqual(['a', 'b'])
  expect(state.load('t')?.state).toEqual({ saved: 'a' })
  const ref = manager.whereis('t')!
  manager.cast('t', { type: 'custom', member: ann, frame: { type: 'boom', roomId: 't' } })
  await system.whenExited(ref)
  await expect.poll(() => manager.whereis('t')).toBeDefined()
  const again = await member('ann')
  await manager.join('t', { member: again })
  manager.cast('t', { type: 'custom', member: again, frame: { type: 'add', roomId: 't', item: 'c' } })
  await expect
    .poll(() => again.frames.filter((f) => f.type === 'items').at(-1)?.items)
    .toEqual(['a', 'b', 'c'])
})

test('a join without since gets an empty history when the log holds only frames other than chat messages', async () => {
  const Room = defineRoom({
    messages: { poke: z.object({}) },
    onMessage: (ctx) => ctx.publish({ type: 'poked', roomId: ctx.roomId }),
  })
  const { manager, member } = await setup({ rooms: Room })
  const ann = await member('ann')
  await manager.join('p', { member: ann })
  expect(ann.frames.some((f) => f.type === 'history')).toBe(false) // an empty log: no history
  manager.cast('p', { type: 'custom', member: ann, frame: { type: 'poke', roomId: 'p' } })
  await expect.poll(() => ann.frames.some((f) => f.type === 'poked')).toBe(true)
  const bob = await member('bob')
  await manager.join('p', { member: bob })
  await expect.poll(() => bob.frames.find((f) => f.type === 'history')).toMatchObject({ messages: [] })
  expect(bob.frames.find((f) => f.type === 'joined')?.offset).toBe(1)
})
