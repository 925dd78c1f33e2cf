import { describe, expect, test } from 'vitest'
import { hmacAuth, signToken } from '../src/index.js'
import { startServer, TestClient, transports } from './support/harness.js'

const SECRET = 'integration-secret-integration-secret'
const BROADCAST = 'broadcast-bearer'

describe.each(transports)('server API and HTTP endpoints over $name', ({ factory }) => {
  test('POST /api/broadcast: 401 without the secret; with it, delivered to the room as a sequenced message', async () => {
    const { url, http } = await startServer(factory, { broadcastSecret: BROADCAST })
    const a = await TestClient.connect(url)
    await a.join('news', 'ann')
    const body = JSON.stringify({ roomId: 'news', text: 'extra!', from: 'desk' })
    const denied = await http('/api/broadcast', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    })
    expect(denied.status).toBe(401)
    const ok = await http('/api/broadcast', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${BROADCAST}` },
    })
    expect(ok.status).toBe(202)
    expect(await ok.json()).toEqual({ delivered: 1 })
    expect(await a.waitFor((f) => f.type === 'message')).toMatchObject({
      roomId: 'news',
      from: 'desk',
      text: 'extra!',
      offset: 1,
    })
  })

  test('filtered broadcast by orgId reaches only that organisation; sendToUser and disconnectUser', async () => {
    const { url, http, server } = await startServer(factory, {
      auth: hmacAuth({ secret: SECRET }),
      broadcastSecret: BROADCAST,
    })
    const connect = async (userId: string, orgId: string) =>
      TestClient.connect(url, {
        headers: { authorization: `Bearer ${await signToken(SECRET, { userId, name: userId, orgId })}` },
      })
    const acme1 = await connect('a1', 'acme')
    const acme2 = await connect('a2', 'acme')
    const other = await connect('o1', 'globex')
    const res = await http('/api/broadcast', {
      method: 'POST',
      body: JSON.stringify({ filter: { orgId: 'acme' }, payload: { type: 'notice', text: 'acme only' } }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${BROADCAST}` },
    })
    expect(res.status).toBe(202)
    expect(await res.json()).toEqual({ delivered: 2 })
    for (const c of [acme1, acme2])
      expect(await c.waitFor((f) => f.type === 'notice')).toMatchObject({ text: 'acme only' })
    await other.barrier()
    expect(other.of('notice')).toEqual([])

    expect(server.sendToUser('o1', { type: 'notice', text: 'just you' })).toBe(1)
    expect(await other.waitFor((f) => f.type === 'notice')).toMatchObject({ text: 'just you' })
    expect(server.broadcastWhere((c) => c.identity?.userId === 'a2', { type: 'notice', text: 'p' })).toBe(1)
    expect(server.disconnectUser('a1')).toBe(1)
    expect((await acme1.closed).code).toBe(1000)
  })

  test('disconnect(id) closes one connection with 1000; terminate(id) drops one without a handshake', async () => {
    const { url, server } = await startServer(factory, { roomGraceMs: 60_000 })
    const a = await TestClient.connect(url)
    const b = await TestClient.connect(url)
    const c = await TestClient.connect(url)
    await a.join('r', 'ann')
    await b.join('r', 'bob')
    await c.join('r', 'cy')
    const idOf = async (t: TestClient): Promise<string> =>
      (await t.waitFor((f) => f.type === 'welcome')).connectionId
    const [bId, cId] = [await idOf(b), await idOf(c)]
    expect(server.disconnect('no-such-connection')).toBe(false)
    expect(server.terminate('no-such-connection')).toBe(false)

    expect(server.terminate(bId)).toBe(true)
    expect((await b.closed).code).toBe(1006)
    expect(await a.waitFor((f) => f.type === 'user_left')).toMatchObject({ roomId: 'r', username: 'bob' })

    expect(server.disconnect(cId, 4000, 'bye')).toBe(true)
    expect((await c.closed).code).toBe(4000)
    expect(await a.waitFor((f) => f.type === 'user_left' && f.username === 'cy')).toMatchObject({
      roomId: 'r',
    })
    expect(await a.request({ type: 'list_users', roomId: 'r' })).toMatchObject({ users: ['ann'], count: 1 })
  })

  test('server.broadcast: text is sequenced like a chat message, any other frame goes to the room as is', async () => {
    const { url, server } = await startServer(factory, { roomGraceMs: 60_000 })
    const a = await TestClient.connect(url)
    await a.join('r', 'ann')
    expect(server.broadcast('nowhere', { text: 'x' })).toBe(0)
    expect(server.broadcast('r', { text: 'hello', from: 'ops' })).toBe(1)
    expect(await a.waitFor((f) => f.type === 'message')).toMatchObject({
      from: 'ops',
      text: 'hello',
      offset: 1,
    })
    expect(server.broadcast('r', { type: 'announcement', level: 'info' })).toBe(1)
    expect(await a.waitFor((f) => f.type === 'announcement')).toEqual({ type: 'announcement', level: 'info' })
  })

  test('/health, /api/stats and /metrics describe the running server', async () => {
    const { url, http } = await startServer(factory, { nodeId: 'node-test', roomGraceMs: 60_000 })
    const a = await TestClient.connect(url)
    await a.join('r', 'ann')
    a.send({ type: 'message', roomId: 'r', text: 'hi' })
    await a.waitFor((f) => f.type === 'message')
    expect(await (await http('/health')).json()).toEqual({ status: 'ok', connections: 1 })
    expect(await (await http('/api/stats')).json()).toMatchObject({
      connections: 1,
      rooms: 1,
      roomBreakdown: { r: 1 },
      nodeId: 'node-test',
    })
    const metrics = await (await http('/metrics')).text()
    expect(metrics).toMatch(/hubbub_connections\{node_id="node-test"\} 1/)
    expect(metrics).toMatch(/hubbub_fanout_deliveries_total\{node_id="node-test"\} [1-9]/)
  })

  test('drain: SERVER_SHUTDOWN then 1001 to every socket, and close() resolves', async () => {
    const { url, server } = await startServer(factory)
    const a = await TestClient.connect(url)
    await a.join('r', 'ann')
    const b = await TestClient.connect(url)
    await server.close({ graceMs: 2000 })
    for (const c of [a, b]) {
      const closed = await c.closed
      expect(closed.code).toBe(1001)
      expect(c.frames.at(-1)).toMatchObject({ type: 'error', code: 'SERVER_SHUTDOWN' })
    }
    await expect(TestClient.connect(url)).rejects.toThrow()
  })
})
