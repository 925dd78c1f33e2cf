import { describe, expect, expectTypeOf, test } from 'vitest'
import { z } from 'zod'
import { broadcast, cancel, defineRoom, type RoomContext, schedule } from '../src/index.js'
import { type Frame, setup } from './roomNode.js'

const custom = (roomId: string, frame: Frame) => ({ type: 'custom' as const, frame: { ...frame, roomId } })

describe('room timers, onStart and asynchronous init', () => {
  test('a repeating timer ticks until cancelled; ctx.timer says which timer and how late it ran', async () => {
    const Ticker = defineRoom({
      messages: { stop: z.object({}) },
      init: () => ({ ticks: 0, late: [] as number[] }),
      onStart: () => [schedule({ type: 'tick' }, 10, { key: 'tick', every: true })],
      onTimer: (ctx, msg, state) => {
        expect(ctx.user).toBeNull()
        // Three periods after the stop: had the tick gone on, it would have ticked meanwhile.
        if (msg.type === 'after') return [broadcast({ type: 'after', ticks: state.ticks })]
        expect(ctx.timer?.key).toBe('tick')
        const ticks = state.ticks + 1
        ctx.broadcast({ type: 'ticked', ticks, lateMs: ctx.timer?.lateMs })
        return { state: { ticks, late: [...state.late, ctx.timer!.lateMs] } }
      },
      onMessage: (ctx, _msg, state) => {
        ctx.reply({ type: 'stopped', ticks: state.ticks })
        return [cancel('tick'), schedule({ type: 'after' }, 30)]
      },
    })
    const { manager, member } = await setup({ rooms: Ticker })
    const ann = await member('ann')
    await manager.join('t', { member: ann })
    await expect.poll(() => ann.frames.filter((f) => f.type === 'ticked').length).toBeGreaterThanOrEqual(3)
    manager.cast('t', { ...custom('t', { type: 'stop' }), member: ann })
    await expect.poll(() => ann.frames.find((f) => f.type === 'after')).toBeDefined()
    const stoppedAt = ann.frames.find((f) => f.type === 'stopped')!.ticks as number
    expect(ann.frames.find((f) => f.type === 'after')!.ticks).toBe(stoppedAt)
    const ticks = ann.frames.filter((f) => f.type === 'ticked')
    expect(ticks.map((f) => f.ticks)).toEqual(ticks.map((_, i) => i + 1))
    expect(ticks).toHaveLength(stoppedAt)
    for (const f of ticks) expect(f.lateMs).toBeGreaterThanOrEqual(0)
  })

  test('scheduling a key again replaces its timer, and a cancelled one-shot never fires', async () => {
    const Turn = defineRoom({
      messages: { arm: z.object({ label: z.string(), ms: z.number() }), disarm: z.object({}) },
      init: () => null,
      onMessage: (ctx, msg) => {
        if (msg.type === 'arm') ctx.schedule({ type: 'expire', label: msg.label }, msg.ms, { key: 'turn' })
        else ctx.cancel('turn')
        ctx.reply({ type: 'ok' })
      },
      onTimer: (ctx, msg) => {
        ctx.broadcast({ type: 'expired', label: msg.label })
      },
    })
    const { manager, member } = await setup({ rooms: Turn })
    const ann = await member('ann')
    await manager.join('t', { member: ann })
    const send = (frame: Frame) => manager.cast('t', { ...custom('t', frame), member: ann })
    send({ type: 'arm', label: 'first', ms: 30 })
    send({ type: 'arm', label: 'second', ms: 5 })
    await expect
      .poll(() => ann.frames.filter((f) => f.type === 'expired').map((f) => f.label))
      .toEqual(['second'])
    send({ type: 'arm', label: 'third', ms: 20 })
    send({ type: 'disarm' })
    send({ type: 'arm', label: 'fourth', ms: 40 })
    await expect
      .poll(() => ann.frames.filter((f) => f.type === 'expired').map((f) => f.label))
      .toEqual(['second', 'fourth'])
    // 'first' was replaced and 'third' cancelled: neither ever fires (both were due before 'fourth').
  })

  test('an asynchronous init is awaited before the first join; onStart re-arms timers after a crash', async () => {
    let starts = 0
    const Slow = defineRoom({
      messages: { boom: z.object({}) },
      init: async (roomId) => {
        await new Promise((resolve) => setTimeout(resolve, 20))
        return { level: `level of ${roomId}` }
      },
      onStart: (ctx) => {
        starts++
        ctx.schedule({ type: 'beat' }, 5, { key: 'beat', every: true })
      },
      onJoin: (ctx, state) => {
        ctx.reply({ type: 'state', level: state.level })
      },
      onTimer: (ctx) => ctx.broadcast({ type: 'beat' }),
      onMessage: () => {
        throw new Error('injected crash')
      },
    })
    const { manager, member, system } = await setup({ rooms: Slow })
    const ann = await member('ann')
    await manager.join('s', { member: ann })
    expect(ann.frames.find((f) => f.type === 'state')).toEqual({ type: 'state', level: 'level of s' })
    await expect.poll(() => ann.frames.some((f) => f.type === 'beat')).toBe(true)
    const ref = manager.whereis('s')!
    manager.cast('s', { ...custom('s', { type: 'boom' }), member: ann })
    await system.whenExited(ref)
    expect(ann.lost).toEqual(['s'])
    const back = await member('ann')
    await manager.join('s', { member: back })
    // The restarted room ran onStart again: it ticks without anyone arming it.
    expect(back.frames.find((f) => f.type === 'state')).toEqual({ type: 'state', level: 'level of s' })
    await expect.poll(() => back.frames.some((f) => f.type === 'beat')).toBe(true)
    expect(starts).toBe(2)
  })
})

describe('message types are scoped per behaviour', () => {
  test("a frame of a type the room's behaviour does not define is UNKNOWN_MESSAGE, not handled", async () => {
    const A = defineRoom({
      messages: { move: z.object({ column: z.number().int() }) },
      onMessage: (ctx, msg) => ctx.reply({ type: 'a', column: msg.column }),
    })
    const B = defineRoom({
      messages: { jump: z.object({}) },
      onMessage: (ctx) => ctx.reply({ type: 'b' }),
    })
    const { manager, member } = await setup({ rooms: (id) => (id.startsWith('a') ? A : B) })
    const ann = await member('ann')
    await manager.join('a1', { member: ann })
    await manager.join('b1', { member: ann })
    manager.cast('b1', {
      type: 'custom',
      member: ann,
      frame: { type: 'move', roomId: 'b1', column: 1 },
      replyTo: 'x',
    })
    manager.cast('a1', { type: 'custom', member: ann, frame: { type: 'move', roomId: 'a1', column: 2 } })
    await expect.poll(() => ann.frames.find((f) => f.type === 'a')).toEqual({ type: 'a', column: 2 })
    expect(ann.frames.find((f) => f.type === 'error')).toMatchObject({
      code: 'UNKNOWN_MESSAGE',
      replyTo: 'x',
    })
    expect(ann.frames.some((f) => f.type === 'b')).toBe(false)
  })

  test('an unchecked frame (a type two behaviours define) is checked against this room’s schema', async () => {
    const A = defineRoom({
      messages: { move: z.object({ column: z.number().int().min(0).max(6) }) },
      onMessage: (ctx, msg) => ctx.reply({ type: 'moved', column: msg.column }),
    })
    const { manager, member } = await setup({ rooms: A })
    const ann = await member('ann')
    await manager.join('a', { member: ann })
    const send = (frame: Frame, replyTo: string) =>
      manager.cast('a', {
        type: 'custom',
        member: ann,
        frame: { ...frame, roomId: 'a' },
        replyTo,
        checked: false,
      })
    send({ type: 'move', dx: 1 }, 'bad')
    send({ type: 'move', column: 9 }, 'big')
    send({ type: 'move', column: 3 }, 'ok')
    await expect.poll(() => ann.frames.find((f) => f.type === 'moved')).toMatchObject({ column: 3 })
    const errors = ann.frames.filter((f) => f.type === 'error')
    expect(errors.map((f) => [f.code, f.replyTo])).toEqual([
      ['INVALID_MESSAGE', 'bad'],
      ['INVALID_MESSAGE', 'big'],
    ])
    expect(errors[0]!.message).toMatch(/column/)
  })
})

describe('typed outgoing frames (emits)', () => {
  test('effects of a behaviour with emits are checked against its server frames at compile time', () => {
    const Typed = defineRoom({
      messages: { move: z.object({ column: z.number() }) },
      emits: {
        moved: z.object({ column: z.number(), by: z.string() }),
        invalid_move: z.object({ reason: z.string() }),
      },
      init: () => ({ n: 0 }),
      onMessage: (ctx, msg) => {
        ctx.broadcast({ type: 'moved', column: msg.column, by: 'ann' })
        ctx.reply({ type: 'invalid_move', reason: 'full' })
        // @ts-expect-error: not a frame this behaviour declares
        ctx.broadcast({ type: 'mooved', column: 1 })
        // @ts-expect-error: a declared frame with a field of the wrong type
        ctx.sendTo('bob', { type: 'moved', column: 'one', by: 'ann' })
        return [broadcast({ type: 'moved', column: 1, by: 'x' })]
      },
    })
    type Ctx = Parameters<NonNullable<typeof Typed.onStart>>[0]
    type Out = Parameters<Ctx['broadcast']>[0]
    const frames: Out[] = [
      { type: 'moved', column: 1, by: 'ann' },
      { type: 'invalid_move', reason: 'full' },
      { type: 'message', roomId: 'r', from: 'ann', text: 'hi', timestamp: 1 },
      // @ts-expect-error: a declared frame missing a field
      { type: 'invalid_move' },
    ]
    // Without emits any frame with a type goes, as before.
    expectTypeOf<Parameters<RoomContext<number>['broadcast']>[0]>().toEqualTypeOf<
      { type: string } & Record<string, unknown>
    >()
    expect(frames).toHaveLength(4)
    expect(Typed.emits).toBeDefined()
  })
})
