import type { ProcessSnapshot } from '@hubbub/actor'
import { describe, expect, test } from 'vitest'
import type WebSocket from 'ws'
import { hmacAuth, type ServerSnapshot, signToken } from '../src/index.js'
import { startServer, TestClient, transports } from './support/harness.js'

const SECRET = 'introspection-test-secret-0123456789'

function flatten(nodes: readonly ProcessSnapshot[]): ProcessSnapshot[] {
  return nodes.flatMap((n) => [
    n,
    ...flatten((n.supervisor?.children ?? []).flatMap((c) => (c.process ? [c.process] : []))),
  ])
}

/** The room supervisor: the supervisor whose children are the room actors. */
function roomSupervisor(snap: ServerSnapshot, roomId: string): ProcessSnapshot | undefined {
  return flatten(snap.actors.roots).find((p) =>
    p.supervisor?.children.some((c) => c.process?.name === roomId),
  )
}

describe.each(transports)('server.introspect() over $name', ({ factory }) => {
  test('rooms, connections and the actor tree, without message texts or tokens', async () => {
    const { url, server } = await startServer(factory, {
      auth: hmacAuth({ secret: SECRET }),
      roomGraceMs: 60_000,
    })
    const annToken = await signToken(SECRET, { userId: 'u-ann', name: 'ann' })
    const bobToken = await signToken(SECRET, { userId: 'u-bob', name: 'bob' })
    const a = await TestClient.connect(`${url}?token=${annToken}`)
    const b = await TestClient.connect(url, { protocols: ['hubbub.v1.json', `hubbub.token.${bobToken}`] })
    await a.join('lobby')
    await a.join('dev')
    await b.join('lobby')
    const text = 'a-very-private-message-text'
    for (let i = 0; i < 3; i++) a.send({ type: 'message', roomId: 'lobby', text: `${text}-${i}` })
    await b.waitFor((f) => f.type === 'message' && f.text === `${text}-2`)
    await a.barrier()

    const snap = await server.introspect()
    expect(snap.nodeId).toBe(server.nodeId)
    const lobby = snap.rooms.find((r) => r.id === 'lobby')!
    expect(lobby).toMatchObject({ connections: 2, users: 2 })
    expect(lobby.offset).toBeGreaterThanOrEqual(3)
    expect(lobby.history).toBe(lobby.offset) // the memory log keeps all of them (fewer than historySize)
    expect(lobby.messagesTotal).toBeGreaterThanOrEqual(3)
    expect(snap.rooms.find((r) => r.id === 'dev')).toMatchObject({ connections: 1, users: 1 })

    const byUser = new Map(snap.connections.map((c) => [c.userId, c]))
    const ann = byUser.get('u-ann')!
    expect(ann).toMatchObject({ name: 'ann', rateLimited: 0, binary: false })
    expect([...ann.rooms].sort()).toEqual(['dev', 'lobby'])
    expect(ann.framesIn).toBeGreaterThanOrEqual(6) // 2 joins, 3 messages, 1 ping
    expect(ann.framesOut).toBeGreaterThanOrEqual(4) // welcome, 2 joined, pong
    expect(byUser.get('u-bob')!.rooms).toEqual(['lobby'])
    expect(snap.connections.every((c) => c.bufferedBytes >= 0)).toBe(true)

    const rooms = roomSupervisor(snap, 'lobby')!
    expect(rooms.name).toBe('hubbub:rooms')
    expect(rooms.supervisor!.strategy).toBe('simple_one_for_one')
    // Every supervisor of the server's tree is named: the rooms' and the connections'.
    const supervisors = flatten(snap.actors.roots).filter((p) => p.supervisor !== undefined)
    expect(supervisors.map((p) => p.name).sort()).toEqual(['hubbub:connections', 'hubbub:rooms'])
    const conns = supervisors.find((p) => p.name === 'hubbub:connections')!
    expect(conns.supervisor!.children).toHaveLength(2)
    expect(rooms.supervisor!.children.map((c) => c.process?.name).sort()).toEqual(['dev', 'lobby'])
    expect(snap.actors.processes).toBe(server.system.processCount)

    const json = JSON.stringify(snap)
    expect(json).not.toContain(text)
    expect(json).not.toContain(annToken)
    expect(json).not.toContain(bobToken)
    expect(json).not.toContain(SECRET)

    // The rate is averaged over complete seconds, so it shows once a second has passed.
    await expect
      .poll(async () => (await server.introspect()).rooms.find((r) => r.id === 'lobby')?.messagesPerSecond, {
        timeout: 10_000,
      })
      .toBeGreaterThan(0)
  })

  test('rate-limit hits are counted per connection', async () => {
    const { url, server } = await startServer(factory, { limits: { ratePerSecond: 1, rateBurst: 2 } })
    const a = await TestClient.connect(url)
    for (let i = 0; i < 6; i++) a.send({ type: 'ping', id: `p${i}` })
    await a.waitFor((f) => f.type === 'error' && f.code === 'RATE_LIMITED')
    const [conn] = (await server.introspect()).connections
    expect(conn!.framesIn).toBe(6)
    expect(conn!.rateLimited).toBeGreaterThanOrEqual(1)
  })

  test('a crashed room shows as restarted on its supervisor', async () => {
    const { url, server } = await startServer(factory, { roomGraceMs: 60_000 })
    const a = await TestClient.connect(url)
    await a.join('r', 'ann')
    const before = roomSupervisor(await server.introspect(), 'r')!
    expect(before.supervisor!.restarts).toBe(0)
    server.system.exit(server.rooms.whereis('r')!, { error: new Error('injected') })
    await expect
      .poll(async () => roomSupervisor(await server.introspect(), 'r')?.supervisor?.restarts, {
        timeout: 10_000,
      })
      .toBe(1)
    const after = roomSupervisor(await server.introspect(), 'r')!
    expect(after.supervisor!.children.find((c) => c.process?.name === 'r')?.restarts).toBe(1)
    expect(after.supervisor!.intensity.recent).toBe(1)
  })

  test('a slow consumer shows buffered bytes (and drops under the drop policy)', async () => {
    const { url, server } = await startServer(factory, {
      roomGraceMs: 60_000,
      transportOptions: { backpressure: 'drop', maxBackpressure: 256 * 1024 },
    })
    const slow = await TestClient.connect(url)
    await slow.join('firehose', 'slow')
    // Stop reading: the kernel buffers fill, then the server's socket buffer grows.
    ;(slow.ws as WebSocket & { _socket: { pause(): void } })._socket.pause()
    const blob = 'x'.repeat(64 * 1024)
    const slowFigures = async () =>
      (await server.introspect({ history: false })).connections.find((c) => c.name === 'slow')!
    let figures = await slowFigures()
    for (let i = 0; i < 2000 && figures.bufferedBytes === 0; i++) {
      server.broadcast('firehose', { type: 'blob', data: blob })
      await new Promise((r) => setImmediate(r))
      if (i % 8 === 7) figures = await slowFigures()
    }
    figures = await slowFigures()
    expect(figures.bufferedBytes).toBeGreaterThan(0)
    // Keep pushing past the limit: what does not fit is dropped and counted.
    await expect
      .poll(
        async () => {
          for (let i = 0; i < 16; i++) server.broadcast('firehose', { type: 'blob', data: blob })
          return (await slowFigures()).dropped
        },
        { timeout: 20_000 },
      )
      .toBeGreaterThan(0)
  })
})
