import { createServer } from '@hubbub/server'
import { wsTransport } from '@hubbub/transport-ws'
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest'
import { WebSocket } from 'ws'
import { RedisRoomPlacement } from '../src/placement/RedisRoomPlacement.js'
import { RedisRoomLog } from '../src/RedisRoomLog.js'
import { closeRedis, openRedis } from '../src/redisConnection.js'
import { redisNode } from '../src/redisNode.js'
import { counterRoom } from './fixtures/counterRoom.js'
import { clusterSkipReason, startCluster, type TestCluster } from './redisCluster.js'
import { uniquePrefix } from './redisEnv.js'

// The cluster is the test's own and goes with its data in afterAll: no key cleanup needed.
const prefix = uniquePrefix('cluster-placement')
const settle = { timeout: 20_000, interval: 50 }

type Frame = { type: string } & Record<string, unknown>

describe.skipIf(clusterSkipReason !== undefined)(
  'owned rooms placed through a 3-master Redis Cluster',
  () => {
    let cluster: TestCluster
    beforeAll(async () => {
      cluster = await startCluster()
    }, 60_000)
    afterAll(() => cluster?.stop())

    /** A node in this process whose every Redis part (placement included) is on the cluster. */
    async function clusterNode(nodeId: string) {
      const node = redisNode({ redis: cluster.target, prefix, nodeId, nodeTtlMs: 5000 })
      const placement = new RedisRoomPlacement({
        redis: cluster.target,
        prefix,
        leaseTtlMs: 1000,
        renewEveryMs: 300,
      })
      const server = createServer({
        ...node.server,
        placement,
        rooms: counterRoom,
        transport: wsTransport,
        auth: { anonymous: true },
        heartbeatMs: 0,
        nodeId,
      })
      const { port } = await server.listen({ port: 0, host: '127.0.0.1' })
      let closed = false
      const close = async () => {
        if (closed) return
        closed = true
        await server.close({ graceMs: 500 })
        await placement.close()
        await node.close()
      }
      onTestFinished(close)
      return { port, placement, close }
    }

    /** A raw protocol client in `roomId`: every frame it gets, and moves sent until acknowledged. */
    async function member(port: number, name: string, roomId: string) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, 'hubbub.v1.json')
      const frames: Frame[] = []
      ws.on('message', (data) => frames.push(JSON.parse(String(data)) as Frame))
      onTestFinished(() => ws.close())
      await new Promise((resolve, reject) => {
        ws.once('open', resolve)
        ws.once('error', reject)
      })
      let id = 0
      ws.send(JSON.stringify({ type: 'join', roomId, username: name, id: `${name}-join` }))
      const states = () => frames.filter((f) => f.type === 'state').map((f) => `${f.moves}:${f.count}`)
      await expect.poll(() => states().length, settle).toBeGreaterThan(0)
      const move = async (n: number): Promise<void> => {
        for (;;) {
          const frameId = `${name}-${++id}`
          ws.send(JSON.stringify({ type: 'add', roomId, n, id: frameId }))
          await expect.poll(() => frames.find((f) => f.replyTo === frameId), settle).toBeDefined()
          const answer = frames.find((f) => f.replyTo === frameId)!
          if (answer.type === 'ack') return
          expect(answer.code).toBe('UNAVAILABLE')
          await new Promise((resolve) => setTimeout(resolve, 100))
        }
      }
      /** Publishes `said` through the room log (on the owner, fenced), until acknowledged. */
      const say = async (text: string): Promise<void> => {
        for (;;) {
          const frameId = `${name}-${++id}`
          ws.send(JSON.stringify({ type: 'say', roomId, text, id: frameId }))
          await expect.poll(() => frames.find((f) => f.replyTo === frameId), settle).toBeDefined()
          const answer = frames.find((f) => f.replyTo === frameId)!
          if (answer.type === 'ack') return
          expect(answer.code).toBe('UNAVAILABLE')
          await new Promise((resolve) => setTimeout(resolve, 100))
        }
      }
      const said = () => frames.filter((f) => f.type === 'said').map((f) => f.text)
      return { frames, states, move, say, said }
    }

    test('a non-owner forwards moves to the owner; after the owner leaves, the other node takes the room over', async () => {
      const [a, b] = await Promise.all([clusterNode('node-ca'), clusterNode('node-cb')])
      const roomId = 'game-c1'
      const ann = await member(a.port, 'ann', roomId)
      expect(a.placement.fenceOf(roomId)).toBe(1)
      const bob = await member(b.port, 'bob', roomId)
      // bob's moves travel from b to the owner a and back through the cluster; ann's stay on a.
      await bob.move(3)
      await ann.move(4)
      await bob.move(5)
      for (const m of [ann, bob])
        await expect.poll(() => m.states(), settle).toEqual(['0:0', '1:3', '2:7', '3:12'])
      expect(b.placement.owned).toEqual([])
      // The owner's publishes go through the fenced script: the fence counter is in the room's slot.
      await bob.say('hello')
      for (const m of [ann, bob]) await expect.poll(() => m.said(), settle).toEqual(['hello'])

      // The owner shuts down (it gives its lease up): b, with a member in the room, takes it over with
      // the next fence, from the snapshot, and tells bob to resync.
      await a.close()
      await expect.poll(() => b.placement.fenceOf(roomId), settle).toBe(2)
      await expect
        .poll(() => bob.frames.find((f) => f.type === 'room_resync'), settle)
        .toMatchObject({ roomId, fence: 2 })
      await bob.move(1)
      await expect.poll(() => bob.states().at(-1), settle).toBe('4:13')
    }, 60_000)

    test('a fenced publish on a Cluster: one slot for the log and the fence; a stale fence appends nothing', async () => {
      const log = new RedisRoomLog({ redis: cluster.target, prefix })
      onTestFinished(() => log.disconnect())
      const roomId = 'game-c2'
      const fence = `{${prefix}:${roomId}}:fence`
      const redis = openRedis(cluster.target)
      onTestFinished(() => closeRedis(redis))
      expect(await log.publishFenced(roomId, 0, { type: 'said', text: 'a' })).toMatchObject({ offset: 1 })
      await redis.set(fence, '3')
      expect(await log.publishFenced(roomId, 2, { type: 'said', text: 'b' })).toBe('stale')
      expect(await log.publishFenced(roomId, 3, { type: 'said', text: 'c' })).toMatchObject({ offset: 2 })
      const read = await log.read(roomId, { limit: 10 })
      expect(read.messages.map((m) => m.text)).toEqual(['a', 'c'])
    }, 60_000)
  },
)
