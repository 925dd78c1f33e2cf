import { describe, expect, test } from 'vitest'
import { createServer, ServerError } from '../src/index.js'
import { startServer, TestClient, transports } from './support/harness.js'

const SECRET = 'inspector-test-secret-0123456789'
const auth = { authorization: `Bearer ${SECRET}` }

describe('inspector options', () => {
  test('an empty secret or a path that shadows the socket or the API is refused at creation', () => {
    for (const inspector of [
      { secret: '' },
      { secret: SECRET, path: '/ws' },
      { secret: SECRET, path: 'x' },
    ]) {
      expect(() => createServer({ auth: { anonymous: true }, inspector })).toThrow(ServerError)
    }
  })
})

describe.each(transports)('inspector routes over $name', ({ factory }) => {
  test('without the secret: 401 on every route under the path; off by default', async () => {
    const { http } = await startServer(factory, { inspector: { secret: SECRET } })
    for (const path of ['/inspector/snapshot', '/inspector/anything-else']) {
      const res = await http(path)
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toBe('Bearer')
    }
    expect((await http('/inspector/snapshot', { headers: { authorization: 'Bearer wrong' } })).status).toBe(
      401,
    )
    const post = await http('/inspector/actions', { method: 'POST', body: '{"action":"crash","roomId":"r"}' })
    expect(post.status).toBe(401)
    const off = await startServer(factory)
    expect((await off.http('/inspector/snapshot', { headers: auth })).status).toBe(404)
  })

  test('with the secret: the snapshot, without message texts or the secret', async () => {
    const { url, http } = await startServer(factory, { inspector: { secret: SECRET }, roomGraceMs: 60_000 })
    const a = await TestClient.connect(url)
    await a.join('lobby', 'ann')
    a.send({ type: 'message', roomId: 'lobby', text: 'private-words' })
    await a.waitFor((f) => f.type === 'message' && f.text === 'private-words')
    const res = await http('/inspector/snapshot', { headers: auth })
    expect(res.status).toBe(200)
    const body = await res.text()
    const snap = JSON.parse(body)
    expect(snap.rooms.find((r: { id: string }) => r.id === 'lobby')).toMatchObject({ connections: 1 })
    expect(snap.connections).toHaveLength(1)
    expect(body).not.toContain('private-words')
    expect(body).not.toContain(SECRET)
  })

  test('crash restarts the room (seen in the next snapshot); terminate drops the connection', async () => {
    const { url, http, server } = await startServer(factory, {
      inspector: { secret: SECRET },
      roomGraceMs: 60_000,
    })
    const a = await TestClient.connect(url)
    await a.join('r', 'ann')
    const post = (body: unknown) =>
      http('/inspector/actions', { method: 'POST', headers: auth, body: JSON.stringify(body) })
    expect((await post({ action: 'crash', roomId: 'nope' })).status).toBe(404)
    expect((await post({ action: 'explode' })).status).toBe(400)
    expect((await post({ action: 'crash', roomId: 'r' })).status).toBe(200)
    const restarts = async () => {
      const snap = (await (await http('/inspector/snapshot', { headers: auth })).json()) as {
        actors: { roots: any[] }
      }
      const find = (nodes: any[]): number | undefined => {
        for (const n of nodes) {
          const child = n.supervisor?.children.find((c: any) => c.process?.name === 'r')
          if (child) return child.restarts
          const deeper = find(
            (n.supervisor?.children ?? []).flatMap((c: any) => (c.process ? [c.process] : [])),
          )
          if (deeper !== undefined) return deeper
        }
        return undefined
      }
      return find(snap.actors.roots)
    }
    await expect.poll(restarts, { timeout: 10_000 }).toBe(1)

    const [conn] = (await server.introspect()).connections
    expect((await post({ action: 'terminate', connectionId: conn!.id })).status).toBe(200)
    await expect.poll(() => server.connections, { timeout: 10_000 }).toBe(0)
    expect((await post({ action: 'terminate', connectionId: conn!.id })).status).toBe(404)
  })
})
