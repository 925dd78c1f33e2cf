import {
  type ConnectionRegistry,
  MemoryCluster,
  MemoryClusterAdapter,
  MemoryConnectionRegistry,
} from '@hubbub/bus'
import { MemoryRoomLog } from '@hubbub/rooms'
import { wsTransport } from '@hubbub/transport-ws'
import { describe, expect, test } from 'vitest'
import { hmacAuth, type ServerOptions, signToken } from '../src/index.js'
import { type Started, startServer, TestClient } from './support/harness.js'

const SECRET = 'cluster-secret-cluster-secret-cluster'
const BROADCAST = 'cluster-broadcast-bearer'

/**
 * Three nodes in one process, as a cluster would run them: each with its own bus adapter on
 * one in-process "network", a shared connection registry and a shared log. What a node is
 * asked to do for connections it does not hold must reach the node that holds them.
 */
async function cluster(
  registry: ConnectionRegistry = new MemoryConnectionRegistry(),
  extra: Partial<ServerOptions> = {},
) {
  const network = new MemoryCluster()
  const log = Object.assign(new MemoryRoomLog({ retain: true }), { shared: true })
  const nodes: Started[] = []
  for (const nodeId of ['n1', 'n2', 'n3']) {
    nodes.push(
      await startServer(wsTransport, {
        nodeId,
        auth: hmacAuth({ secret: SECRET }),
        bus: new MemoryClusterAdapter(network, { nodeId }),
        log,
        registry,
        broadcastSecret: BROADCAST,
        ...extra,
      }),
    )
  }
  const connect = async (node: Started, userId: string, orgId = 'acme', name = userId) =>
    TestClient.connect(node.url, {
      headers: { authorization: `Bearer ${await signToken(SECRET, { userId, name, orgId })}` },
    })
  return { nodes, registry, connect }
}

describe('a cluster of servers with a connection registry', () => {
  test('sendToUser and disconnectUser reach the user on every node, and count them all', async () => {
    const { nodes, connect } = await cluster()
    const [n1, n2, n3] = nodes as [Started, Started, Started]
    const annOn2 = await connect(n2, 'ann')
    const annOn3 = await connect(n3, 'ann')
    const bob = await connect(n3, 'bob')
    await expect
      .poll(() => n1.server.nodes().then((ns) => ns.map((n) => n.node).sort()))
      .toEqual(['n1', 'n2', 'n3'])

    expect(await n1.server.sendToUser('ann', { type: 'notice', text: 'hi ann' })).toBe(2)
    for (const c of [annOn2, annOn3])
      expect(await c.waitFor((f) => f.type === 'notice')).toMatchObject({ text: 'hi ann' })
    await bob.barrier()
    expect(bob.of('notice')).toEqual([])

    expect(await n1.server.disconnectUser('ann', 4000, 'bye ann')).toBe(2)
    expect(await annOn2.closed).toMatchObject({ code: 4000, reason: 'bye ann' })
    expect(await annOn3.closed).toMatchObject({ code: 4000 })
    await expect.poll(() => n1.server.sendToUser('ann', { type: 'notice', text: 'gone' })).toBe(0)
  })

  test('POST /api/broadcast with a filter reaches the organisation on every node; /api/stats lists the nodes', async () => {
    const { nodes, connect } = await cluster()
    const [n1, n2, n3] = nodes as [Started, Started, Started]
    const a = await connect(n2, 'a1', 'acme')
    const b = await connect(n3, 'a2', 'acme')
    const other = await connect(n3, 'o1', 'globex')
    const res = await n1.http('/api/broadcast', {
      method: 'POST',
      body: JSON.stringify({ filter: { orgId: 'acme' }, payload: { type: 'notice', text: 'acme only' } }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${BROADCAST}` },
    })
    expect(res.status).toBe(202)
    expect(await res.json()).toEqual({ delivered: 2 })
    for (const c of [a, b])
      expect(await c.waitFor((f) => f.type === 'notice')).toMatchObject({ text: 'acme only' })
    await other.barrier()
    expect(other.of('notice')).toEqual([])

    await expect
      .poll(async () => {
        const stats = (await (await n1.http('/api/stats')).json()) as {
          nodes: { node: string; connections: number }[]
        }
        return stats.nodes.map((n) => [n.node, n.connections]).sort()
      })
      .toEqual([
        ['n1', 0],
        ['n2', 1],
        ['n3', 2],
      ])
  })

  test('a private message reaches its recipient on another node; an unknown name is USER_NOT_FOUND', async () => {
    const { nodes, connect } = await cluster()
    const [n1, n2] = nodes as [Started, Started]
    const ann = await connect(n1, 'ann')
    const bob = await connect(n2, 'bob')
    await expect
      .poll(() => n1.server.nodes().then((ns) => ns.find((n) => n.node === 'n2')?.connections))
      .toBe(1)
    const echo = await ann.request({ type: 'private', to: 'bob', text: 'psst' })
    expect(echo).toMatchObject({ type: 'private', from: 'ann', to: 'bob', text: 'psst' })
    expect(await bob.waitFor((f) => f.type === 'private')).toMatchObject({ from: 'ann', text: 'psst' })
    expect(await ann.request({ type: 'private', to: 'nobody', text: '?' })).toMatchObject({
      type: 'error',
      code: 'USER_NOT_FOUND',
    })
  })

  test('disconnect and terminate by connection id work from any node; an unknown id is false', async () => {
    const { nodes, connect } = await cluster()
    const [n1, n2] = nodes as [Started, Started]
    const a = await connect(n2, 'ann')
    const b = await connect(n2, 'bob')
    const idOf = async (c: TestClient) =>
      (await c.waitFor((f) => f.type === 'welcome')).connectionId as string
    const [aId, bId] = [await idOf(a), await idOf(b)]
    await expect.poll(() => n1.server.disconnect(aId, 4001, 'admin')).toBe(true)
    expect(await a.closed).toMatchObject({ code: 4001, reason: 'admin' })
    expect(await n1.server.terminate(bId)).toBe(true)
    expect((await b.closed).code).toBe(1006)
    expect(await n1.server.disconnect('no-such-connection')).toBe(false)
    expect(await n1.server.terminate('no-such-connection')).toBe(false)
  })

  test('a closed node leaves the registry at once; its users are no longer counted', async () => {
    const { nodes, connect } = await cluster()
    const [n1, n2] = nodes as [Started, Started]
    await connect(n2, 'ann')
    await expect.poll(() => n1.server.sendToUser('ann', { type: 'notice' })).toBe(1)
    await n2.server.close({ graceMs: 500 })
    expect((await n1.server.nodes()).map((n) => n.node).sort()).toEqual(['n1', 'n3'])
    expect(await n1.server.sendToUser('ann', { type: 'notice' })).toBe(0)
  })

  test('a registry with the in-process bus is refused: its messages would reach no other node', async () => {
    await expect(
      startServer(wsTransport, { auth: { anonymous: true }, registry: new MemoryConnectionRegistry() }),
    ).rejects.toThrow(/bus adapter that reaches the other nodes/)
  })
})
