import { createServer, hmacAuth, signToken } from '@hubbub/server'
import { wsTransport } from '@hubbub/transport-ws'
import { afterAll, describe, expect, it, onTestFinished } from 'vitest'
import { WebSocket } from 'ws'
import { RedisBusAdapter, RedisConnectionRegistry, RedisRoomLog } from '../src/index.js'
import { deletePrefix, REDIS_URL, redisSkipReason, uniquePrefix } from './redisEnv.js'

const prefix = uniquePrefix('directory')
const SECRET = 'redis-directory-secret-redis-directory'
const BROADCAST = 'redis-directory-bearer'

/** One node of the cluster, with connections of its own to Redis, as a separate process would have. */
async function node(nodeId: string) {
  const registry = new RedisConnectionRegistry({ redis: REDIS_URL, prefix, nodeTtlMs: 3000 })
  const adapter = new RedisBusAdapter({ redis: REDIS_URL, prefix: `${prefix}:bus:`, nodeId })
  const log = new RedisRoomLog({ redis: REDIS_URL, prefix })
  const server = createServer({
    transport: wsTransport,
    nodeId,
    auth: hmacAuth({ secret: SECRET }),
    heartbeatMs: 0,
    log,
    bus: adapter,
    registry,
    broadcastSecret: BROADCAST,
  })
  onTestFinished(async () => {
    await server.close({ graceMs: 500 })
    await Promise.all([adapter.close(), log.disconnect(), registry.disconnect()])
  })
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' })
  return { server, port, url: `ws://127.0.0.1:${port}/ws` }
}

/** An authenticated raw socket that records its frames. */
async function user(url: string, userId: string, orgId = 'acme') {
  const token = await signToken(SECRET, { userId, name: userId, orgId })
  const ws = new WebSocket(url, 'hubbub.v1.json', { headers: { authorization: `Bearer ${token}` } })
  const frames: Record<string, any>[] = []
  ws.on('message', (data) => frames.push(JSON.parse(String(data))))
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)))
  onTestFinished(() => ws.terminate())
  await expect.poll(() => frames.some((f) => f.type === 'welcome')).toBe(true)
  const next = async (type: string) => {
    await expect.poll(() => frames.some((f) => f.type === type)).toBe(true)
    return frames.find((f) => f.type === type)!
  }
  return { ws, frames, closed, next, id: frames[0]!.connectionId as string }
}

describe.skipIf(redisSkipReason !== undefined)('a cluster directory on Redis', () => {
  afterAll(() => deletePrefix(prefix))

  it('reaches users, organisations, names and connection ids on other nodes, with cluster-wide counts', async () => {
    const [a, b, c] = [await node('d1'), await node('d2'), await node('d3')]
    const ann2 = await user(b.url, 'ann')
    const ann3 = await user(c.url, 'ann')
    const bob = await user(c.url, 'bob', 'globex')
    await expect.poll(() => a.server.sendToUser('ann', { type: 'ping-ann' })).toBe(2)
    await ann2.next('ping-ann')
    await ann3.next('ping-ann')

    const res = await fetch(`http://127.0.0.1:${a.port}/api/broadcast`, {
      method: 'POST',
      body: JSON.stringify({ filter: { orgId: 'globex' }, payload: { type: 'notice', text: 'globex only' } }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${BROADCAST}` },
    })
    expect(await res.json()).toEqual({ delivered: 1 })
    expect(await bob.next('notice')).toMatchObject({ text: 'globex only' })

    ann2.ws.send(JSON.stringify({ type: 'private', id: 'p1', to: 'bob', text: 'psst' }))
    expect(await bob.next('private')).toMatchObject({ from: 'ann', text: 'psst' })

    const stats = (await (await fetch(`http://127.0.0.1:${a.port}/api/stats`)).json()) as {
      nodes: { node: string; connections: number }[]
    }
    expect(stats.nodes.map((n) => [n.node, n.connections]).sort()).toEqual([
      ['d1', 0],
      ['d2', 1],
      ['d3', 2],
    ])

    expect(await a.server.disconnect(bob.id, 4002, 'admin')).toBe(true)
    expect(await bob.closed).toBe(4002)
    expect(await a.server.disconnectUser('ann')).toBe(2)
    expect(await ann2.closed).toBe(1000)
    expect(await ann3.closed).toBe(1000)
    await expect.poll(() => a.server.sendToUser('ann', { type: 'gone' })).toBe(0)
    // Everything was acted on by the nodes that hold the sockets, and nothing reached the others.
    expect(ann2.frames.filter((f) => f.type === 'notice')).toEqual([])
  })
})
