import { describe, expect, test } from 'vitest'
import { MemoryPresenceStore, MemoryRoomLog, type PresenceStore } from '../src/index.js'
import { type Frame, setup, type TestMember } from './roomNode.js'

/** What a client makes of a member's frames: the offsets it would deliver (history, then live, each once). */
function delivered(frames: Frame[]): number[] {
  const joined = frames.find((f) => f.type === 'joined')!
  let last = joined.offset
  const out: number[] = []
  for (const f of frames) {
    if (f.type !== 'message' || f.offset <= last) continue
    out.push(f.offset)
    last = f.offset
  }
  return out
}

const messages = (m: TestMember) => m.frames.filter((f) => f.type === 'message')

describe('two room actors of one room on one log (two nodes)', () => {
  test('every member on both nodes sees the same offsets in the same order, and a joiner mid-stream gets no gap and no duplicate', async () => {
    const log = new MemoryRoomLog({ size: 1000 })
    const a = await setup({ log })
    const b = await setup({ log })
    const ann = await a.member('ann')
    const bob = await b.member('bob')
    await a.manager.join('r', { member: ann })
    await b.manager.join('r', { member: bob })

    const perNode = 60
    let joiner: TestMember | undefined
    // Both nodes publish at once, interleaved turn by turn; a third user joins on node b halfway.
    const publishing = (async () => {
      for (let i = 0; i < perNode; i++) {
        a.manager.cast('r', { type: 'message', member: ann, text: `a${i}` })
        b.manager.cast('r', { type: 'message', member: bob, text: `b${i}` })
        if (i === perNode / 2) {
          joiner = await b.member('cat')
          void b.manager.join('r', { member: joiner })
        }
        await new Promise((resolve) => setImmediate(resolve))
      }
    })()
    await publishing
    const total = 2 * perNode
    await expect.poll(() => messages(ann).at(-1)?.offset).toBe(total)
    await expect.poll(() => messages(bob).at(-1)?.offset).toBe(total)
    await expect.poll(() => joiner && messages(joiner).at(-1)?.offset).toBe(total)

    const sequence = (m: TestMember) => messages(m).map((f) => `${f.offset}:${f.text}`)
    expect(messages(ann).map((f) => f.offset)).toEqual(Array.from({ length: total }, (_, i) => i + 1))
    expect(sequence(bob)).toEqual(sequence(ann))
    // Every text once, in the order each node published its own.
    const texts = messages(ann).map((f) => f.text as string)
    expect(new Set(texts).size).toBe(total)
    expect(texts.filter((t) => t.startsWith('a'))).toEqual(Array.from({ length: perNode }, (_, i) => `a${i}`))

    const cat = joiner!
    const joined = cat.frames.find((f) => f.type === 'joined')!
    const history = cat.frames.find((f) => f.type === 'history')
    expect(joined.offset).toBeGreaterThan(0)
    expect(history?.messages.at(-1).offset).toBe(joined.offset)
    // What the client delivers after joined is exactly the rest of the room's stream.
    expect(delivered(cat.frames)).toEqual(
      Array.from({ length: total - joined.offset }, (_, i) => joined.offset + i + 1),
    )
    for (const f of messages(cat)) expect(f.text).toBe(texts[f.offset - 1])
  })
})

/** Node b's view of a shared presence store; once `dead`, nothing of node b reaches the store any more. */
function severable(store: PresenceStore) {
  const link = { dead: false }
  const view: PresenceStore = {
    add: (roomId, entry) => (link.dead ? { first: false, count: 0 } : store.add(roomId, entry)),
    remove: (roomId, entry) => (link.dead ? { last: false, count: 0 } : store.remove(roomId, entry)),
    list: (roomId, limit) => store.list(roomId, limit),
    rooms: () => store.rooms(),
    heartbeat: (node) => (link.dead ? undefined : store.heartbeat(node)),
    dropNode: (node) => (link.dead ? undefined : store.dropNode(node)),
    onDiff: (listener) => store.onDiff((diff) => (link.dead ? undefined : listener(diff))),
  }
  return { view, link }
}

describe('presence shared by two nodes', () => {
  test('users joining and leaving through the other node are announced to this node, once each', async () => {
    const presence = new MemoryPresenceStore()
    const log = new MemoryRoomLog()
    const a = await setup({ presence, log, nodeId: 'node-a' })
    const b = await setup({ presence, log, nodeId: 'node-b' })
    const ann = await a.member('ann')
    await a.manager.join('r', { member: ann })
    const bob = await b.member('bob')
    await b.manager.join('r', { member: bob })
    expect(bob.frames[0]).toMatchObject({ type: 'joined', users: ['ann', 'bob'], count: 2 })
    await expect
      .poll(() => ann.frames.filter((f) => f.type === 'user_joined'))
      .toEqual([{ type: 'user_joined', roomId: 'r', username: 'bob' }])
    // Bob's second connection, on node a, is not a second bob.
    const bob2 = await a.member('bob', bob.key)
    await a.manager.join('r', { member: bob2 })
    b.manager.cast('r', { type: 'member_down', member: bob })
    a.manager.cast('r', { type: 'member_down', member: bob2 })
    await expect
      .poll(() => ann.frames.filter((f) => f.type === 'user_left'))
      .toEqual([{ type: 'user_left', roomId: 'r', username: 'bob' }])
    expect(ann.frames.filter((f) => f.type === 'user_joined')).toHaveLength(1)
    expect(await presence.list('r', 10)).toEqual({ users: ['ann'], count: 1 })
  })

  test('a node that dies (its heartbeats stop) loses its users after the TTL: the other node announces each once', async () => {
    // Short beats and TTL, set by the test; the wait below is generous.
    const presence = new MemoryPresenceStore({ nodeTtlMs: 1000 })
    const { view, link } = severable(presence)
    const a = await setup({ presence, nodeId: 'node-a', heartbeatMs: 100 })
    const b = await setup({ presence: view, nodeId: 'node-b', heartbeatMs: 100 })
    const ann = await a.member('ann')
    await a.manager.join('r', { member: ann })
    for (const name of ['bob', 'cat']) await b.manager.join('r', { member: await b.member(name) })
    await expect.poll(() => ann.frames.filter((f) => f.type === 'user_joined').length).toBe(2)
    link.dead = true
    const left = () => ann.frames.filter((f) => f.type === 'user_left').map((f) => f.username)
    await expect.poll(left, { timeout: 15_000 }).toEqual(['bob', 'cat'])
    // Node a, which keeps beating, stays.
    expect(await presence.list('r', 10)).toEqual({ users: ['ann'], count: 1 })
  })
})
