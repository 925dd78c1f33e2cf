import { describe, expect, test } from 'vitest'
import { asyncStore } from '../src/conformance/index.js'
import { MemoryPresenceStore, MemoryRoomLog, type RoomMember } from '../src/index.js'
import { setup, type TestMember } from './roomNode.js'

/** The presence events about `name` that `member` received. */
const presenceOf = (member: TestMember, name: string) =>
  member.frames
    .filter((f) => (f.type === 'user_joined' || f.type === 'user_left') && f.username === name)
    .map((f) => f.type)

/** The member as its connection looks once it dropped with a grace. */
const dropped = (member: TestMember, presenceGraceMs: number): RoomMember =>
  Object.assign(member, { isClosed: true, presenceGraceMs })

describe('presence grace in a room', () => {
  test('a dropped member stays listed; one who comes back (same key) takes its entry over silently', async () => {
    const node = await setup()
    const ann = await node.member('ann')
    const bob = await node.member('bob', 'key-bob')
    await node.manager.join('r', { member: ann })
    await node.manager.join('r', { member: bob })
    node.manager.cast('r', { type: 'member_down', member: dropped(bob, 60_000) })
    const back = await node.member('bob', 'key-bob')
    Object.assign(back, { user: { ...back.user, connectionId: 'bob-2' } })
    expect(await node.manager.join('r', { member: back })).toMatchObject({ reply: { ok: true } })
    expect(back.frames.find((f) => f.type === 'joined')).toMatchObject({ users: ['ann', 'bob'], count: 2 })
    expect(presenceOf(ann, 'bob')).toEqual(['user_joined'])
    // The new connection holds bob's one entry: its leave is bob's departure.
    await node.system.call(node.manager.whereis('r')!, { type: 'leave', member: back })
    await expect.poll(() => presenceOf(ann, 'bob')).toEqual(['user_joined', 'user_left'])
  })

  test('a dropped member who does not come back leaves when the grace ends', async () => {
    const node = await setup()
    const ann = await node.member('ann')
    const bob = await node.member('bob')
    await node.manager.join('r', { member: ann })
    await node.manager.join('r', { member: bob })
    // a short grace set by the test; the poll waits generously
    node.manager.cast('r', { type: 'member_down', member: dropped(bob, 100) })
    await expect.poll(() => presenceOf(ann, 'bob'), { timeout: 10_000 }).toEqual(['user_joined', 'user_left'])
  })

  test('with a presence store shared by two nodes (asynchronous, as Redis is), a user back on the other node within the grace is not announced', async () => {
    const presence = asyncStore(new MemoryPresenceStore())
    const log = new MemoryRoomLog({ size: 100 })
    const a = await setup({ presence, log, nodeId: 'node-a' })
    const b = await setup({ presence, log, nodeId: 'node-b' })
    const ann = await a.member('ann')
    const bob = await a.member('bob', 'id:bob')
    await a.manager.join('r', { member: ann })
    await a.manager.join('r', { member: bob })
    await expect.poll(() => presenceOf(ann, 'bob')).toEqual(['user_joined'])
    // node a holds bob's entry for 300 ms; bob comes back through node b meanwhile
    a.manager.cast('r', { type: 'member_down', member: dropped(bob, 300) })
    const back = await b.member('bob', 'id:bob')
    expect(await b.manager.join('r', { member: back })).toMatchObject({ reply: { ok: true } })
    // once node a's grace is over, its entry goes; bob's entry on node b keeps him present
    await expect.poll(() => a.manager.env.local.get('r')?.lingering.size, { timeout: 10_000 }).toBe(0)
    expect(await presence.list('r', 10)).toEqual({ users: ['ann', 'bob'], count: 2 })
    // a later presence change reaches ann: by then an announcement about bob would have too
    const cat = await a.member('cat')
    await a.manager.join('r', { member: cat })
    await expect.poll(() => presenceOf(ann, 'cat')).toEqual(['user_joined'])
    expect(presenceOf(ann, 'bob')).toEqual(['user_joined'])
  })
})
