import { describe, expect, test } from 'vitest'
import { startServer, TestClient, transports } from './support/harness.js'

describe.each(transports)('presence over $name', ({ factory }) => {
  test('user_left on leave (with left), on disconnect, and on a crashed connection actor (1011 for that socket only)', async () => {
    const { url, server } = await startServer(factory)
    const a = await TestClient.connect(url)
    await a.join('r', 'ann')
    const b = await TestClient.connect(url)
    await b.join('r', 'bob')
    // each join announced first: a join and a leave inside one presence window cancel out
    await a.waitFor((f) => f.type === 'user_joined' && f.username === 'bob')
    const left = await b.request({ type: 'leave', roomId: 'r' })
    expect(left).toMatchObject({ type: 'left', roomId: 'r' })
    await a.waitFor((f) => f.type === 'user_left' && f.username === 'bob')

    const c = await TestClient.connect(url)
    await c.join('r', 'cid')
    await a.waitFor((f) => f.type === 'user_joined' && f.username === 'cid')
    c.close()
    await a.waitFor((f) => f.type === 'user_left' && f.username === 'cid')

    const d = await TestClient.connect(url)
    const dId = d.of('welcome')[0]!.connectionId as string
    await d.join('r', 'dan')
    await a.waitFor((f) => f.type === 'user_joined' && f.username === 'dan')
    server.system.exit(server.connectionRef(dId)!, { error: new Error('injected crash') })
    expect((await d.closed).code).toBe(1011)
    await a.waitFor((f) => f.type === 'user_left' && f.username === 'dan')
    // Nobody else noticed: ann is still connected and served.
    expect((await a.request({ type: 'list_users', roomId: 'r' })).users).toEqual(['ann'])
  })

  test('a user with two connections joins once and leaves with the last one', async () => {
    const { url } = await startServer(factory)
    const a = await TestClient.connect(url)
    await a.join('r', 'ann')
    const b1 = await TestClient.connect(url)
    await b1.join('r', 'bob')
    const b2 = await TestClient.connect(url)
    expect(await b2.join('r', 'bob')).toMatchObject({ type: 'error', code: 'USERNAME_TAKEN' })
    const list = await a.request({ type: 'list_users', roomId: 'r' })
    expect(list).toMatchObject({ type: 'user_list', roomId: 'r', users: ['ann', 'bob'], count: 2 })
    expect((await a.request({ type: 'list_rooms' })).rooms).toEqual([{ id: 'r', userCount: 2 }])
  })

  test('typing reaches the other members only', async () => {
    const { url } = await startServer(factory)
    const a = await TestClient.connect(url)
    await a.join('r', 'ann')
    const b = await TestClient.connect(url)
    await b.join('r', 'bob')
    a.send({ type: 'typing', roomId: 'r', isTyping: true })
    expect(await b.waitFor((f) => f.type === 'typing')).toEqual({
      type: 'typing',
      roomId: 'r',
      username: 'ann',
      isTyping: true,
    })
    await a.barrier()
    expect(a.of('typing')).toEqual([])
  })

  test('presence_diff: the joins of one window in one frame, sent before the next message; 0 sends user_joined', async () => {
    // A window longer than the test: the message sequenced after the joins closes it.
    const { url } = await startServer(factory, { presenceBatchMs: 60_000 })
    const a = await TestClient.connect(url)
    await a.join('r', 'ann')
    const b = await TestClient.connect(url)
    await b.join('r', 'bob')
    const c = await TestClient.connect(url)
    await c.join('r', 'cid')
    c.send({ type: 'message', roomId: 'r', text: 'hi' })
    await a.waitFor((f) => f.type === 'message')
    const wire = a.frames.filter((f) => f.type === 'presence_diff' || f.type === 'message').map((f) => f.type)
    expect(wire).toEqual(['presence_diff', 'message'])
    expect(a.of('presence_diff')).toEqual([
      { type: 'presence_diff', roomId: 'r', joins: ['ann', 'bob', 'cid'], leaves: [], count: 3 },
    ])

    const legacy = await startServer(factory, { presenceBatchMs: 0 })
    const d = await TestClient.connect(legacy.url)
    await d.join('r', 'dan')
    const e = await TestClient.connect(legacy.url)
    await e.join('r', 'eve')
    expect(await d.waitFor((f) => f.type === 'user_joined')).toEqual({
      type: 'user_joined',
      roomId: 'r',
      username: 'eve',
    })
    await d.barrier()
    expect(d.of('presence_diff')).toEqual([])
  })

  test('presence_count instead of per-user events beyond presenceLimit; users capped, count total', async () => {
    const { url } = await startServer(factory, { limits: { presenceLimit: 2 } })
    const a = await TestClient.connect(url)
    await a.join('big', 'u1')
    const b = await TestClient.connect(url)
    await b.join('big', 'u2')
    await a.waitFor((f) => f.type === 'user_joined' && f.username === 'u2')
    const c = await TestClient.connect(url)
    const joined = await c.join('big', 'u3')
    expect(joined.count).toBe(3)
    expect(joined.users).toHaveLength(2)
    expect(joined.users).toContain('u3')
    expect(await a.waitFor((f) => f.type === 'presence_count')).toEqual({
      type: 'presence_count',
      roomId: 'big',
      count: 3,
    })
    await a.barrier()
    expect(a.of('user_joined').map((f) => f.username)).toEqual(['u2'])
  })

  test('private messages reach every connection of the recipient and echo to the sender', async () => {
    const { url } = await startServer(factory)
    const a = await TestClient.connect(url)
    expect(await a.request({ type: 'private', to: 'bob', text: 'hi' })).toMatchObject({
      type: 'error',
      code: 'NOT_IDENTIFIED',
    })
    await a.join('r', 'ann')
    expect(await a.request({ type: 'private', to: 'nobody', text: 'hi' })).toMatchObject({
      code: 'USER_NOT_FOUND',
    })
    const b = await TestClient.connect(url)
    await b.join('other', 'bob')
    const c = await TestClient.connect(url)
    await c.join('r', 'cid')
    const echo = await a.request({ type: 'private', to: 'bob', text: 'psst' })
    expect(echo).toMatchObject({ type: 'private', from: 'ann', to: 'bob', text: 'psst' })
    const got = await b.waitFor((f) => f.type === 'private')
    expect(got).toMatchObject({ from: 'ann', to: 'bob', text: 'psst' })
    expect(got.replyTo).toBeUndefined()
    await c.barrier()
    expect(c.of('private')).toEqual([])
  })
})
