import { describe, expect, test } from 'vitest'
import { type Frame, setup } from './roomNode.js'

const diffs = (frames: Frame[]) => frames.filter((f) => f.type === 'presence_diff')
const kinds = (frames: Frame[]) =>
  frames.filter((f) => f.type === 'presence_diff' || f.type === 'message').map((f) => f.type)

// A window far longer than any test: its diff goes out when a message is sequenced after it
// (what comes first is announced first), so these tests need no clock.
const LONG = 600_000

describe('presence_diff: one frame per room and window', () => {
  test('users who join in one window are told in one diff, published once, before the next message', async () => {
    const { manager, member, published } = await setup({ presenceBatchMs: LONG })
    const [ann, bob, cat, dan] = await Promise.all(['ann', 'bob', 'cat', 'dan'].map((n) => member(n)))
    for (const m of [ann!, bob!, cat!, dan!]) await manager.join('r', { member: m })
    expect(diffs(ann!.frames)).toEqual([])
    manager.cast('r', { type: 'message', member: bob!, text: 'hi' })
    await expect.poll(() => kinds(ann!.frames)).toEqual(['presence_diff', 'message'])
    expect(diffs(ann!.frames)).toEqual([
      { type: 'presence_diff', roomId: 'r', joins: ['ann', 'bob', 'cat', 'dan'], leaves: [], count: 4 },
    ])
    // Every member gets the same frame: one publish to the room's topic, encoded once.
    expect(published.filter((p) => p.includes('"presence_diff"'))).toHaveLength(1)
    expect(diffs(dan!.frames)).toEqual(diffs(ann!.frames))
  })

  test('a join and a leave of the same user in one window cancel out', async () => {
    const { manager, member, system } = await setup({ presenceBatchMs: LONG })
    const ann = await member('ann')
    const bob = await member('bob')
    await manager.join('r', { member: ann })
    manager.cast('r', { type: 'message', member: ann, text: 'first' })
    await expect.poll(() => kinds(ann.frames)).toEqual(['presence_diff', 'message'])
    await manager.join('r', { member: bob })
    await system.call(manager.whereis('r')!, { type: 'leave', member: bob })
    manager.cast('r', { type: 'message', member: ann, text: 'second' })
    await expect.poll(() => kinds(ann.frames)).toEqual(['presence_diff', 'message', 'message'])
  })

  test('a leave after someone else joined does not cancel: the joiner saw the user, so both go out in order', async () => {
    const { manager, member, system } = await setup({ presenceBatchMs: LONG })
    const [ann, bob, cat] = await Promise.all(['ann', 'bob', 'cat'].map((n) => member(n)))
    await manager.join('r', { member: ann! })
    await manager.join('r', { member: bob! })
    await manager.join('r', { member: cat! })
    expect(cat!.frames[0]).toMatchObject({ type: 'joined', users: ['ann', 'bob', 'cat'] })
    await system.call(manager.whereis('r')!, { type: 'leave', member: bob! })
    manager.cast('r', { type: 'message', member: ann!, text: 'hi' })
    await expect.poll(() => kinds(cat!.frames)).toEqual(['presence_diff', 'presence_diff', 'message'])
    expect(diffs(cat!.frames)).toEqual([
      { type: 'presence_diff', roomId: 'r', joins: ['ann', 'bob', 'cat'], leaves: [], count: 3 },
      { type: 'presence_diff', roomId: 'r', joins: [], leaves: ['bob'], count: 2 },
    ])
  })

  test('the window closes on its own after presenceBatchMs', async () => {
    const { manager, member } = await setup({ presenceBatchMs: 20 })
    const ann = await member('ann')
    const bob = await member('bob')
    await manager.join('r', { member: ann })
    await manager.join('r', { member: bob })
    await expect.poll(() => diffs(ann.frames).flatMap((f) => f.joins)).toEqual(['ann', 'bob'])
    manager.cast('r', { type: 'member_down', member: bob })
    await expect.poll(() => diffs(ann.frames).at(-1)).toMatchObject({ joins: [], leaves: ['bob'], count: 1 })
  })
})

describe('the presence window adapts to a burst', () => {
  test('while windows keep filling each next one is twice as long, up to presenceBatchMaxMs; a quiet one resets it', async () => {
    const { manager, member, system } = await setup({ presenceBatchMs: 10, presenceBatchMaxMs: 35 })
    // The window timers are recorded (what the room asked for) and fired by the test, not the clock.
    const windows: number[] = []
    const sendAfter = system.sendAfter.bind(system)
    system.sendAfter = ((ref, msg, ms) => {
      if ((msg as { type?: string }).type !== 'presence_flush') return sendAfter(ref, msg, ms)
      windows.push(ms)
      return sendAfter(ref, msg, LONG)
    }) as typeof system.sendAfter
    const fire = () => system.send(manager.whereis('r')!, { type: 'presence_flush' })
    const [ann, bob, cat, dan] = await Promise.all(['ann', 'bob', 'cat', 'dan'].map((n) => member(n)))
    const joins = () => diffs(ann!.frames).map((f) => f.joins)

    await manager.join('r', { member: ann! })
    expect(windows).toEqual([10])
    fire()
    await expect.poll(joins).toEqual([['ann']])
    // The window was busy: the next opens at once, twice as long.
    expect(windows).toEqual([10, 20])
    await manager.join('r', { member: bob! })
    fire()
    await expect.poll(joins).toEqual([['ann'], ['bob']])
    expect(windows).toEqual([10, 20, 35])
    await manager.join('r', { member: cat! })
    fire()
    await expect.poll(joins).toEqual([['ann'], ['bob'], ['cat']])
    expect(windows).toEqual([10, 20, 35, 35])
    // A window without a change: no diff, no new window, and the next change waits presenceBatchMs again.
    fire()
    await manager.join('r', { member: dan! })
    expect(windows).toEqual([10, 20, 35, 35, 10])
    expect(joins()).toEqual([['ann'], ['bob'], ['cat']])
  })
})
