import { describe, expect, test } from 'vitest'
import { z } from 'zod'
import { defineRoom, roomTopic, sendTo } from '../src/index.js'
import { type Frame, setup } from './roomNode.js'

describe('RoomManager and room actors', () => {
  test('join answers joined (with the joiner) and announces the user to the others', async () => {
    const { manager, member } = await setup()
    const ann = await member('ann')
    expect((await manager.join('r', { member: ann, replyTo: 'j1' })).reply).toEqual({ ok: true })
    expect(ann.frames[0]).toMatchObject({
      type: 'joined',
      roomId: 'r',
      users: ['ann'],
      count: 1,
      offset: 0,
      replyTo: 'j1',
    })
    const bob = await member('bob')
    await manager.join('r', { member: bob })
    expect(bob.frames[0]).toMatchObject({ type: 'joined', users: ['ann', 'bob'], count: 2 })
    expect(ann.frames.at(-1)).toEqual({ type: 'user_joined', roomId: 'r', username: 'bob' })
    const again = await manager.join('r', { member: bob })
    expect(again.reply).toMatchObject({ ok: false, code: 'ALREADY_IN_ROOM' })
    const impostor = await member('ann', 'anon:other')
    expect((await manager.join('r', { member: impostor })).reply).toMatchObject({ code: 'USERNAME_TAKEN' })
  })

  test('a message is sequenced and published once to the room topic, whatever the member count', async () => {
    const { manager, member, published } = await setup()
    const members = await Promise.all(['a', 'b', 'c', 'd'].map((n) => member(n)))
    for (const m of members) await manager.join('r', { member: m })
    manager.cast('r', { type: 'message', member: members[0]!, text: 'hello' })
    manager.cast('r', { type: 'message', member: members[1]!, text: 'again' })
    const offsets = (frames: Frame[]) => frames.filter((f) => f.type === 'message').map((f) => f.offset)
    for (const m of members) await expect.poll(() => offsets(m.frames)).toEqual([1, 2])
    // Presence (user_joined) is published to the topic too; the messages are each published once.
    expect(offsets(published.map((p) => JSON.parse(p)))).toEqual([1, 2])
  })

  test('leave answers left and announces user_left; an empty room stops after its grace', async () => {
    const { manager, member, system } = await setup({ emptyGraceMs: 0 })
    const ann = await member('ann')
    const bob = await member('bob')
    await manager.join('r', { member: ann })
    await manager.join('r', { member: bob })
    const ref = manager.whereis('r')!
    await system.call(ref, { type: 'leave', member: bob, replyTo: 'l' })
    expect(bob.frames.at(-1)).toEqual({ type: 'left', roomId: 'r', replyTo: 'l' })
    expect(ann.frames.at(-1)).toEqual({ type: 'user_left', roomId: 'r', username: 'bob' })
    manager.cast('r', { type: 'member_down', member: ann })
    await system.whenExited(ref)
    expect(manager.whereis('r')).toBeUndefined()
    expect(manager.count).toBe(0)
  })

  test('a crash restarts the room on the same log: the lost members are told, and a rejoin recovers with the epoch kept', async () => {
    const { manager, member, system } = await setup()
    const ann = await member('ann')
    await manager.join('r', { member: ann })
    const epoch = ann.frames[0]!.epoch
    manager.cast('r', { type: 'message', member: ann, text: 'before the crash' })
    await expect.poll(() => ann.frames.some((f) => f.type === 'message')).toBe(true)
    const ref = manager.whereis('r')!
    system.exit(ref, { error: new Error('boom') })
    await expect.poll(() => ann.lost).toEqual(['r'])
    await expect.poll(() => manager.whereis('r')).toBeDefined()
    expect(manager.whereis('r')).not.toBe(ref)
    // The crashed incarnation removed its own presence entries: the same user joins again.
    const back = await member('ann')
    expect((await manager.join('r', { member: back, since: { epoch, offset: 0 } })).reply).toEqual({
      ok: true,
    })
    expect(back.frames[0]).toMatchObject({ type: 'joined', users: ['ann'], offset: 1, epoch })
    expect(back.frames[1]).toMatchObject({ type: 'history', recovered: true })
    expect(back.frames[1]!.messages.map((m: Frame) => m.text)).toEqual(['before the crash'])
  })

  test('a persisting behaviour restores its saved state after a crash instead of starting over', async () => {
    const Counter = defineRoom({
      persist: true,
      messages: { add: z.object({ n: z.number() }), boom: z.object({}) },
      init: () => ({ total: 0 }),
      onMessage: (ctx, msg, state) => {
        if (msg.type === 'boom') throw new Error('boom')
        ctx.reply({ type: 'total', total: state.total + msg.n })
        return { state: { total: state.total + msg.n } }
      },
    })
    const { manager, member, system } = await setup({ rooms: Counter })
    const ann = await member('ann')
    await manager.join('c', { member: ann })
    manager.cast('c', { type: 'custom', member: ann, frame: { type: 'add', roomId: 'c', n: 5 } })
    await expect.poll(() => ann.frames.find((f) => f.type === 'total')?.total).toBe(5)
    const ref = manager.whereis('c')!
    manager.cast('c', { type: 'custom', member: ann, frame: { type: 'boom', roomId: 'c' } })
    await system.whenExited(ref)
    await expect.poll(() => manager.whereis('c')).toBeDefined()
    const again = await member('ann')
    await manager.join('c', { member: again })
    manager.cast('c', { type: 'custom', member: again, frame: { type: 'add', roomId: 'c', n: 2 } })
    await expect.poll(() => again.frames.find((f) => f.type === 'total')?.total).toBe(7)
  })

  test('presence_count replaces per-user events beyond presenceLimit, at most once per second', async () => {
    const { manager, member } = await setup({ presenceLimit: 2 })
    const first = await member('u1')
    await manager.join('r', { member: first })
    for (const n of ['u2', 'u3', 'u4', 'u5']) await manager.join('r', { member: await member(n) })
    await expect
      .poll(() => first.frames.filter((f) => f.type === 'presence_count').at(-1)?.count, { timeout: 3000 })
      .toBe(5)
    expect(first.frames.filter((f) => f.type === 'user_joined').map((f) => f.username)).toEqual(['u2'])
    // u3 sends one at once; later changes within the second are folded into the next one.
    const counts = first.frames.filter((f) => f.type === 'presence_count').map((f) => f.count)
    expect(counts[0]).toBe(3)
    expect(counts.at(-1)).toBe(5)
    expect(counts.length).toBeLessThanOrEqual(3)
  })

  test('behaviour effects: typed messages, state, broadcast with exclude, sendTo, and scheduled messages', async () => {
    const Game = defineRoom({
      messages: { poke: z.object({ who: z.string() }), tick: z.object({}) },
      init: () => ({ pokes: 0, ticks: 0 }),
      onMessage: (ctx, msg, state) => {
        if (msg.type === 'tick') {
          ctx.broadcast({ type: 'ticked', ticks: state.ticks + 1 })
          return { state: { ...state, ticks: state.ticks + 1 } }
        }
        ctx.broadcast({ type: 'poked', by: ctx.user?.name }, { exclude: ctx.user?.name ?? [] })
        ctx.schedule({ type: 'tick' }, 5)
        return {
          state: { ...state, pokes: state.pokes + 1 },
          effects: [sendTo(msg.who, { type: 'you', n: state.pokes + 1 })],
        }
      },
    })
    const { manager, member } = await setup({ rooms: Game })
    const [a, b, c] = await Promise.all([member('a'), member('b'), member('c')])
    for (const m of [a!, b!, c!]) await manager.join('g', { member: m })
    manager.cast('g', { type: 'custom', member: a!, frame: { type: 'poke', roomId: 'g', who: 'c' } })
    await expect.poll(() => c!.frames.some((f) => f.type === 'ticked')).toBe(true)
    expect(a!.frames.some((f) => f.type === 'poked')).toBe(false)
    expect(b!.frames.find((f) => f.type === 'poked')).toEqual({ type: 'poked', by: 'a' })
    expect(c!.frames.find((f) => f.type === 'you')).toEqual({ type: 'you', n: 1 })
    expect(b!.frames.some((f) => f.type === 'you')).toBe(false)
    expect(a!.frames.find((f) => f.type === 'ticked')).toEqual({ type: 'ticked', ticks: 1 })
    expect(roomTopic('g')).toBe('room.g')
  })
})
