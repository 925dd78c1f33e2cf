import { type ClusterMessage, EventBus } from '@hubbub/bus'
import { describe, expect, it, onTestFinished } from 'vitest'
import { RedisBusAdapter } from '../src/index.js'
import { clientIds, killClients, namedTarget } from './redisClients.js'
import { redisSkipReason, uniquePrefix } from './redisEnv.js'

/** A node's bus on the shared Redis; pub/sub leaves no keys, the prefix keeps runs apart. */
function node(prefix: string, name = uniquePrefix('bus-conn')) {
  const adapter = new RedisBusAdapter({ redis: namedTarget(name), prefix, nodeId: name })
  const errors: unknown[] = []
  const bus = new EventBus<unknown>({ adapter, onError: (err) => errors.push(err) })
  onTestFinished(() => bus.close())
  return { adapter, bus, name, errors }
}

/** Collects what a subscription receives. */
function collect(bus: EventBus<unknown>, pattern: string): { topic: string; payload: unknown }[] {
  const got: { topic: string; payload: unknown }[] = []
  bus.subscribe(pattern, (payload, topic) => void got.push({ topic, payload }))
  return got
}

describe.skipIf(redisSkipReason !== undefined)('RedisBusAdapter on a real Redis', () => {
  it('carries publishes to the other node, on exact topics and patterns, once each, never back to the sender', async () => {
    const prefix = `${uniquePrefix('bus')}:`
    const a = node(prefix)
    const b = node(prefix)
    const exact = collect(b.bus, 'room.lobby')
    const star = collect(b.bus, 'room.*')
    const hash = collect(b.bus, 'user.#')
    const own = collect(a.bus, 'room.lobby')
    await Promise.all([a.adapter.ready(), b.adapter.ready()])

    a.bus.publish('room.lobby', { n: 1 })
    a.bus.publish('room.other', { n: 2 })
    a.bus.publish('user.ann.inbox', { n: 3, bytes: new Uint8Array([1, 2, 3]) })
    a.bus.publish('elsewhere', { n: 4 })
    await expect.poll(() => hash.length).toBe(1)
    await expect.poll(() => star.length).toBe(2)

    expect(exact).toEqual([{ topic: 'room.lobby', payload: { n: 1 } }])
    expect(star.map((d) => d.topic)).toEqual(['room.lobby', 'room.other'])
    expect(hash).toEqual([{ topic: 'user.ann.inbox', payload: { n: 3, bytes: new Uint8Array([1, 2, 3]) } }])
    // The sender's own subscription got its publish locally, once (not again from Redis).
    expect(own).toEqual([{ topic: 'room.lobby', payload: { n: 1 } }])
    expect([...a.errors, ...b.errors]).toEqual([])
  })

  it('a node without a subscription gets nothing; after unsubscribing, nothing more', async () => {
    const prefix = `${uniquePrefix('bus')}:`
    const a = node(prefix)
    const b = node(prefix)
    const got: unknown[] = []
    const sub = b.bus.subscribe('room.x', (payload) => void got.push(payload))
    await b.adapter.ready()
    a.bus.publish('room.x', 1)
    await expect.poll(() => got).toEqual([1])
    sub.unsubscribe()
    await b.adapter.ready()
    a.bus.publish('room.x', 2)
    // A marker on another topic b listens to shows that what a sent after 2 has arrived.
    const marker = collect(b.bus, 'marker')
    await b.adapter.ready()
    a.bus.publish('marker', 'm')
    await expect.poll(() => marker.length).toBe(1)
    expect(got).toEqual([1])
  })

  it('nodes with another prefix do not hear each other', async () => {
    const a = node(`${uniquePrefix('bus')}:`)
    const b = node(`${uniquePrefix('bus')}:`)
    const c = node(b.adapter.prefix)
    const onB = collect(b.bus, 'room.x')
    await Promise.all([b.adapter.ready(), c.adapter.ready()])
    a.bus.publish('room.x', 'from a')
    c.bus.publish('room.x', 'from c')
    await expect.poll(() => onB.length).toBe(1)
    expect(onB[0]!.payload).toBe('from c')
  })

  it('carries cluster messages to every other node with the sender id', async () => {
    const prefix = `${uniquePrefix('bus')}:`
    const a = node(prefix)
    const b = node(prefix)
    const c = node(prefix)
    const seen: [string, ClusterMessage, string][] = []
    for (const n of [a, b, c]) n.adapter.onCluster((message, from) => seen.push([n.name, message, from]))
    await Promise.all([a.adapter.ready(), b.adapter.ready(), c.adapter.ready()])
    const message: ClusterMessage = {
      type: 'send_to_user',
      userId: 'ann',
      frame: { type: 'private', text: 'hi' },
    }
    await a.adapter.sendCluster(message)
    await expect.poll(() => seen.length).toBe(2)
    expect(seen.map(([to]) => to).sort()).toEqual([b.name, c.name].sort())
    for (const [, got, from] of seen) {
      expect(got).toEqual(message)
      expect(from).toBe(a.name)
    }
  })

  it('after its subscriber connection is killed: reports disconnected and reconnected, and is subscribed again', async () => {
    const prefix = `${uniquePrefix('bus')}:`
    const a = node(prefix)
    const b = node(prefix)
    const events: string[] = []
    b.adapter.on('disconnected', () => events.push('disconnected'))
    b.adapter.on('reconnected', () => events.push('reconnected'))
    const exact = collect(b.bus, 'room.lobby')
    const pattern = collect(b.bus, 'room.*')
    const cluster: ClusterMessage[] = []
    b.adapter.onCluster((m) => cluster.push(m))
    await Promise.all([a.adapter.ready(), b.adapter.ready()])
    a.bus.publish('room.lobby', 'before')
    await expect.poll(() => pattern.length).toBe(1)

    const ids = await clientIds(b.name, true)
    expect(ids).toHaveLength(1)
    await killClients(ids)
    await expect.poll(() => events, { timeout: 10_000 }).toEqual(['disconnected', 'reconnected'])
    expect(b.adapter.connected).toBe(true)
    // A new connection, subscribed again to the topic, the pattern and the control channel.
    expect(await clientIds(b.name, true)).not.toEqual(ids)
    a.bus.publish('room.lobby', 'after')
    await a.adapter.sendCluster({ type: 'node_bye' })
    await expect.poll(() => pattern.length).toBe(2)
    await expect.poll(() => exact.length).toBe(2)
    await expect.poll(() => cluster).toEqual([{ type: 'node_bye' }])
    expect(exact.map((d) => d.payload)).toEqual(['before', 'after'])
  })
})
