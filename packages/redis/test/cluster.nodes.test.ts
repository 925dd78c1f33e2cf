import type { RoomMessageFrame } from '@hubbub/protocol'
import { createServer } from '@hubbub/server'
import { wsTransport } from '@hubbub/transport-ws'
import { afterAll, beforeAll, describe, expect, it, onTestFinished, test } from 'vitest'
import { RedisLogError, RedisRoomLog, type RoomLogGap, redisNode } from '../src/index.js'
import { expectOneOrder, range, rawJoin, startNode, testClient, watch } from './nodes.js'
import { clusterSkipReason, startCluster, type TestCluster } from './redisCluster.js'
import { uniquePrefix } from './redisEnv.js'

// The cluster is the test's own and goes with its data in afterAll: no key cleanup needed.
const prefix = uniquePrefix('cluster-nodes')

/** Checks what a node delivered: strictly increasing offsets up to `top`, every missing one inside a reported gap. */
function expectNoSilentLoss(node: { offsets: number[]; gaps: RoomLogGap[] }, top: number): void {
  const covered = new Set(node.offsets)
  for (const gap of node.gaps) for (let o = gap.after + 1; o < gap.nextOffset; o++) covered.add(o)
  expect(node.offsets.every((o, i) => i === 0 || o > node.offsets[i - 1]!)).toBe(true)
  expect(range(top).filter((o) => !covered.has(o))).toEqual([])
}

/** A log of its own on the cluster that records what it delivers and the gaps it reports. */
function recordingLog(cluster: TestCluster, logPrefix: string, connectionName?: string) {
  const gaps: RoomLogGap[] = []
  const errors: unknown[] = []
  const redisOptions = connectionName === undefined ? {} : { connectionName }
  const log = new RedisRoomLog({
    redis: { ...cluster.target, clusterOptions: { redisOptions } },
    prefix: logPrefix,
    historySize: 10_000,
    onGap: (gap) => gaps.push(gap),
    onError: (err) => errors.push(err),
  })
  onTestFinished(() => log.disconnect())
  const offsets: number[] = []
  const listener = (_room: string, frame: { offset: number }) => void offsets.push(frame.offset)
  return { log, gaps, errors, offsets, listener }
}

if (clusterSkipReason === undefined) {
  describe('nodes on a 3-master Redis Cluster (sharded pub/sub)', () => {
    let cluster: TestCluster
    beforeAll(async () => {
      cluster = await startCluster()
    }, 60_000)
    afterAll(() => cluster?.stop())

    it('3 nodes, 4 publishers at once: every member gets every message once, same offsets and order everywhere; recovery on another node', async () => {
      const target = cluster.target
      const nodes = await Promise.all([0, 1, 2].map(() => startNode(prefix, { redis: target })))
      const roomId = 'lobby'
      const members = []
      for (let i = 0; i < 6; i++) {
        members.push(watch(await testClient(nodes[i % 3]!.url).join(roomId, { username: `u${i}` })))
      }
      // The room's channel is a shard channel on the master that owns the room's slot.
      const slot = Number(await cluster.masters[0]!.redis.call('CLUSTER', 'KEYSLOT', `{${prefix}:${roomId}}`))
      const owner = await cluster.ownerOf(slot)
      expect(await owner.redis.call('PUBSUB', 'SHARDCHANNELS', `{${prefix}:${roomId}}:log`)).toEqual([
        `{${prefix}:${roomId}}:log`,
      ])

      const perPublisher = 25
      const publishers = members.slice(0, 4)
      const sent = await Promise.all(
        publishers.map(({ room }, p) =>
          Promise.all(range(perPublisher).map((i) => room.send(`p${p} ${i - 1}`))),
        ),
      )
      const total = publishers.length * perPublisher
      await expectOneOrder(members, sent, total)

      // u5 (node 2) leaves, misses 5 messages, and comes back on node 0 with `since`.
      const since = { offset: members[5]!.room.offset, epoch: members[5]!.room.epoch! }
      await members[5]!.room.leave()
      for (let i = 0; i < 5; i++) await members[0]!.room.send(`missed ${i}`)
      const back = await rawJoin(nodes[0]!.url, roomId, 'u5', since)
      expect(back.history.recovered).toBe(true)
      expect(back.history.messages.map((m: RoomMessageFrame) => [m.offset, m.text])).toEqual(
        range(5).map((i) => [total + i, `missed ${i - 1}`]),
      )
      for (const n of nodes) {
        expect(n.gaps).toEqual([])
        expect(n.errors).toEqual([])
      }
    })

    it("a room's slot moves to another master mid-stream: publishing goes on, no offset twice, any loss reported as a gap", async () => {
      const p = `${prefix}:move`
      const roomId = 'moving'
      const a = recordingLog(cluster, p)
      const b = recordingLog(cluster, p)
      await a.log.open(roomId, a.listener)
      await b.log.open(roomId, b.listener)
      const slot = Number(await cluster.masters[0]!.redis.call('CLUSTER', 'KEYSLOT', `{${p}:${roomId}}`))
      const from = await cluster.ownerOf(slot)
      const to = cluster.masters.find((m) => m !== from)!

      let stop = false
      const acked: number[] = []
      const refused: unknown[] = []
      const publish = async (log: RedisRoomLog, name: string) => {
        for (let i = 0; !stop; i++) {
          try {
            acked.push((await log.publish(roomId, { type: 'chat', text: `${name} ${i}` })).offset)
          } catch (err) {
            // Refused by Redis (TRYAGAIN while the keys move): nothing was sequenced; go on.
            if (!(err instanceof RedisLogError)) throw err
            refused.push(err)
          }
        }
      }
      const publishing = Promise.all([publish(a.log, 'a'), publish(b.log, 'b')])
      await expect.poll(() => acked.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(50)
      await cluster.moveSlot(slot, to)
      const movedAt = acked.length
      await expect.poll(() => acked.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(movedAt + 50)
      stop = true
      await publishing
      expect(await cluster.ownerOf(slot)).toBe(to)
      // Both nodes' subscriptions followed the slot to its new master.
      const channel = `{${p}:${roomId}}:log`
      await expect
        .poll(() => to.redis.call('PUBSUB', 'SHARDNUMSUB', channel), { timeout: 15_000 })
        .toEqual([channel, 2])

      const top = Math.max(...acked)
      expect(new Set(acked).size).toBe(acked.length)
      for (const node of [a, b]) {
        // Everything up to the last offset arrives, live or read from the stream.
        await expect.poll(() => node.offsets.at(-1), { timeout: 15_000 }).toBe(top)
        expectNoSilentLoss(node, top)
      }
    })

    it('a shard subscriber connection killed mid-stream: it is replaced, subscribed again, and what it missed is read from the stream', async () => {
      const p = `${prefix}:kill`
      const roomId = 'killed'
      const name = `kill-${Math.random().toString(36).slice(2, 8)}`
      const a = recordingLog(cluster, p, name)
      const b = recordingLog(cluster, p)
      await a.log.open(roomId, a.listener)
      const channel = `{${p}:${roomId}}:log`
      const slot = Number(await cluster.masters[0]!.redis.call('CLUSTER', 'KEYSLOT', channel))
      const owner = await cluster.ownerOf(slot)
      let stop = false
      onTestFinished(() => {
        stop = true
      })
      let acked = 0
      const publishing = (async () => {
        for (; !stop; acked++) await b.log.publish(roomId, { type: 'chat', text: `m${acked}` })
      })()
      await expect.poll(() => a.offsets.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(30)
      // The test's own cluster: its connection is found by its name and killed by id.
      const list = String(await owner.redis.call('CLIENT', 'LIST'))
      const ids = list
        .split('\n')
        .filter((line) => line.includes(`name=ioredis-cluster(ssubscriber):${name} `))
        .map((line) => /\bid=(\d+)/.exec(line)![1]!)
      expect(ids.length).toBe(1)
      await owner.redis.call('CLIENT', 'KILL', 'ID', ids[0]!)
      await expect
        .poll(() => owner.redis.call('PUBSUB', 'SHARDNUMSUB', channel), { timeout: 15_000 })
        .toEqual([channel, 1])
      const after = acked
      await expect.poll(() => acked, { timeout: 15_000 }).toBeGreaterThanOrEqual(after + 30)
      stop = true
      await publishing
      await expect.poll(() => a.offsets.at(-1), { timeout: 15_000 }).toBe(acked)
      expectNoSilentLoss(a, acked)
    })

    /** A server on `redisNode` (log, bus, presence, registry) against the cluster. */
    async function clusterServer(nodeId: string) {
      const node = redisNode({ redis: cluster.target, prefix: `${prefix}:node`, nodeId, nodeTtlMs: 5000 })
      const server = createServer({
        ...node.server,
        transport: wsTransport,
        auth: { anonymous: true },
        nodeId,
      })
      onTestFinished(async () => {
        await server.close({ graceMs: 500 })
        await node.close()
      })
      const { port } = await server.listen({ port: 0, host: '127.0.0.1' })
      return { server, port, url: `ws://127.0.0.1:${port}/ws` }
    }

    it('two servers share rooms, presence, history and the node list through the Cluster', async () => {
      const [a, b] = [await clusterServer('c1'), await clusterServer('c2')]
      const ann = await testClient(a.url).join('hall', { username: 'ann' })
      const bob = await testClient(b.url).join('hall', { username: 'bob' })
      await expect.poll(() => [...ann.users].sort(), { timeout: 15_000 }).toEqual(['ann', 'bob'])
      await expect.poll(() => [...bob.users].sort(), { timeout: 15_000 }).toEqual(['ann', 'bob'])
      const heard = watch(ann)
      await bob.send('hello from c2')
      await expect
        .poll(() => heard.messages.map((m) => m.text), { timeout: 15_000 })
        .toEqual(['hello from c2'])

      const stats = async (port: number) =>
        (await (await fetch(`http://127.0.0.1:${port}/api/stats`)).json()) as {
          roomBreakdown: Record<string, number>
          nodes: { node: string; connections: number }[]
        }
      for (const port of [a.port, b.port]) {
        const s = await stats(port)
        expect(s.roomBreakdown.hall).toBe(2)
        expect(s.nodes.map((n) => [n.node, n.connections]).sort()).toEqual([
          ['c1', 1],
          ['c2', 1],
        ])
      }
      await bob.leave()
      await expect.poll(() => ann.users, { timeout: 15_000 }).toEqual(['ann'])
      await expect.poll(async () => (await stats(a.port)).roomBreakdown.hall, { timeout: 15_000 }).toBe(1)
    })
  })
} else {
  describe.skip(`Redis Cluster nodes: skipped, ${clusterSkipReason}`, () => {
    test('fan-out, recovery and slot migration', () => {})
  })
}
