import { describe, expect, test } from 'vitest'
import { hmacAuth, INSPECTOR_ROOM, inspectorProtocol, signToken } from '../src/index.js'
import { type Frame, startServer, TestClient, transports } from './support/harness.js'

const SECRET = 'inspector-feed-secret-0123456789'
const protocols = (secret = SECRET) => ['hubbub.v1.json', inspectorProtocol(secret)]

/** Connects an inspector socket and joins the inspector room; resolves once the first snapshot came. */
async function inspector(url: string): Promise<TestClient> {
  const c = await TestClient.connect(url, { protocols: protocols() })
  expect(await c.request({ type: 'join', roomId: INSPECTOR_ROOM })).toMatchObject({
    type: 'inspector',
    kind: 'joined',
  })
  await c.waitFor((f) => f.type === 'inspector' && f.kind === 'snapshot', 0, 15_000)
  return c
}

const snapshots = (c: TestClient): Frame[] =>
  c.frames.filter((f) => f.type === 'inspector' && f.kind === 'snapshot')

describe.each(transports)('inspector room over $name', ({ factory }) => {
  test('security: the upgrade without the right secret is 401; an ordinary connection gets FORBIDDEN; the page loads, its data routes do not', async () => {
    const { url, http } = await startServer(factory, { inspector: { secret: SECRET } })
    await expect(TestClient.connect(url, { protocols: protocols('wrong') })).rejects.toThrow('HTTP 401')
    const plain = await TestClient.connect(url)
    expect(await plain.request({ type: 'join', roomId: INSPECTOR_ROOM, username: 'eve' })).toMatchObject({
      type: 'error',
      code: 'FORBIDDEN',
    })
    expect(
      await plain.request({
        type: 'message',
        roomId: INSPECTOR_ROOM,
        text: '{"action":"crash","roomId":"x"}',
      }),
    ).toMatchObject({ code: 'FORBIDDEN' })
    const page = await http('/inspector/')
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(await page.text()).not.toContain(SECRET)
    expect((await http('/inspector/uPlot.iife.min.js')).status).toBe(200)
    expect((await http('/inspector/snapshot')).status).toBe(401)

    // A server without an inspector refuses the inspector subprotocol too.
    const off = await startServer(factory)
    await expect(TestClient.connect(off.url, { protocols: protocols() })).rejects.toThrow('HTTP 401')
  })

  test('the secret is independent of the app auth: an hmac app without a token still admits the inspector; the feed never carries a token', async () => {
    const appSecret = 'app-secret-app-secret-app-secret-0123'
    const { url } = await startServer(factory, {
      auth: hmacAuth({ secret: appSecret }),
      inspector: { secret: SECRET },
    })
    const c = await inspector(url)
    expect(snapshots(c)[0]?.snapshot).toMatchObject({ roomCount: 0 })

    // A member who came with a token (in the query and as a subprotocol): the feed shows who, not how.
    const token = await signToken(appSecret, { userId: 'u-ann', name: 'ann' })
    const a = await TestClient.connect(`${url}?token=${token}`, {
      protocols: ['hubbub.v1.json', `hubbub.token.${token}`],
    })
    await a.join('lobby')
    a.send({ type: 'message', roomId: 'lobby', text: 'words-only-members-see' })
    await a.waitFor((f) => f.type === 'message' && f.text === 'words-only-members-see')
    const snap = await c.waitFor(
      (f) => f.kind === 'snapshot' && f.snapshot.rooms.some((r: any) => r.id === 'lobby' && r.offset === 1),
      0,
      15_000,
    )
    expect(snap.snapshot.connections.find((x: any) => x.userId === 'u-ann')).toMatchObject({ name: 'ann' })
    const seen = JSON.stringify(c.frames)
    for (const secret of [token, appSecret, SECRET, 'words-only-members-see'])
      expect(seen).not.toContain(secret)
  })

  test('snapshots show rooms and members, never texts; the room is hidden from list_rooms and stats; no feed while nobody watches', async () => {
    const { url, server, http } = await startServer(factory, {
      inspector: { secret: SECRET },
      roomGraceMs: 60_000,
    })
    const a = await TestClient.connect(url)
    await a.join('lobby', 'ann')
    const b = await TestClient.connect(url)
    await b.join('lobby', 'bob')
    a.send({ type: 'message', roomId: 'lobby', text: 'secret-words-123' })
    await b.waitFor((f) => f.type === 'message' && f.text === 'secret-words-123')
    expect(server.system.watched).toBe(false)

    const c = await inspector(url)
    expect(server.system.watched).toBe(true)
    const from = c.frames.length
    const snap = await c.waitFor(
      (f) =>
        f.kind === 'snapshot' && f.snapshot.rooms.some((r: any) => r.id === 'lobby' && r.connections === 2),
      0,
      15_000,
    )
    expect(snap.snapshot.rooms[0]).toMatchObject({
      id: 'lobby',
      connections: 2,
      users: 2,
      offset: 1,
      history: 1,
    })
    expect(snap.loop.p99Ms).toBeGreaterThanOrEqual(0)
    expect(snap.snapshot.actors.processes).toBeGreaterThan(2)
    // A second snapshot arrives on its own (the feed ticks).
    await c.waitFor((f) => f.kind === 'snapshot', from + 1, 15_000)
    for (const f of c.frames) expect(JSON.stringify(f)).not.toContain('secret-words-123')

    const list = await a.request({ type: 'list_rooms' })
    expect(list.rooms.map((r: { id: string }) => r.id)).toEqual(['lobby'])
    const stats = (await (await http('/api/stats')).json()) as { roomBreakdown: Record<string, number> }
    expect(Object.keys(stats.roomBreakdown)).toEqual(['lobby'])

    c.ws.close()
    await c.closed
    await expect.poll(() => server.system.watched, { timeout: 10_000 }).toBe(false)
  })

  test('crash from the inspector: exited with the reason then restarted on the feed; members rejoin and new messages flow', async () => {
    const { url } = await startServer(factory, { inspector: { secret: SECRET }, roomGraceMs: 60_000 })
    const a = await TestClient.connect(url)
    const before = await a.join('r', 'ann')
    const b = await TestClient.connect(url)
    await b.join('r', 'bob')
    a.send({ type: 'message', roomId: 'r', text: 'before' })
    await b.waitFor((f) => f.type === 'message' && f.text === 'before')
    const c = await inspector(url)

    expect(
      await c.request({
        type: 'message',
        roomId: INSPECTOR_ROOM,
        text: '{"action":"crash","roomId":"nope"}',
      }),
    ).toMatchObject({ kind: 'result', ok: false })
    expect(await c.request({ type: 'message', roomId: INSPECTOR_ROOM, text: 'not json' })).toMatchObject({
      code: 'INVALID_MESSAGE',
    })
    expect(
      await c.request({ type: 'message', roomId: INSPECTOR_ROOM, text: '{"action":"crash","roomId":"r"}' }),
    ).toMatchObject({ kind: 'result', ok: true, action: 'crash', roomId: 'r' })
    const exited = await c.waitFor(
      (f) => f.kind === 'event' && f.event.type === 'exited' && f.event.name === 'r',
    )
    expect(exited.event.reason).toBe('error: crashed from the inspector')
    const restarted = await c.waitFor((f) => f.kind === 'event' && f.event.type === 'restarted')
    expect(restarted.event).toMatchObject({ restarts: 1 })

    for (const m of [a, b]) await m.waitFor((f) => f.type === 'left' && f.roomId === 'r')
    await a.join('r', 'ann', { since: { epoch: before.epoch, offset: 1 } })
    await b.join('r', 'bob', { since: { epoch: before.epoch, offset: 1 } })
    a.send({ type: 'message', roomId: 'r', text: 'after the crash' })
    const after = await b.waitFor((f) => f.type === 'message' && f.text === 'after the crash')
    expect(after.offset).toBe(2)
    // The next snapshot shows the room again with both members, and its child's restart count.
    await c.waitFor(
      (f) => f.kind === 'snapshot' && f.snapshot.rooms.some((r: any) => r.id === 'r' && r.connections === 2),
      0,
      15_000,
    )
  })

  test('terminate from the inspector drops the connection', async () => {
    const { url, server } = await startServer(factory, { inspector: { secret: SECRET } })
    const a = await TestClient.connect(url)
    await a.join('r', 'ann')
    const c = await inspector(url)
    const conn = (await server.introspect()).connections.find((x) => x.rooms.includes('r'))!
    const text = JSON.stringify({ action: 'terminate', connectionId: conn.id })
    expect(await c.request({ type: 'message', roomId: INSPECTOR_ROOM, text })).toMatchObject({ ok: true })
    expect((await a.closed).code).toBe(1006)
  })
})
