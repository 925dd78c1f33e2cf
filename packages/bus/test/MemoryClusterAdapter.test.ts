import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  BusAdapter,
  type ControlEnvelope,
  type EncodedEnvelope,
  type Envelope,
  EventBus,
  jsonCodec,
  MemoryCluster,
  MemoryClusterAdapter,
} from '../src/index.js'

type Log = Array<[string, string, unknown]>

function node(cluster: MemoryCluster, name: string, log: Log, patterns: string[]): EventBus {
  const bus = new EventBus({
    adapter: new MemoryClusterAdapter(cluster, { nodeId: name }),
    separator: cluster.separator,
  })
  for (const p of patterns) bus.subscribe(p, (m, t) => void log.push([`${name} ${p}`, t, m]))
  return bus
}

describe('MemoryClusterAdapter', () => {
  const buses: Array<{ close(): Promise<void> }> = []
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close()))
  })

  it('a publish on A reaches matching subscribers on B and C exactly once and A only once', () => {
    const cluster = new MemoryCluster()
    const log: Log = []
    // Overlapping patterns on one node: the cluster delivers the envelope once per pattern, like Redis.
    const a = node(cluster, 'A', log, ['chat.room', 'chat.*'])
    const b = node(cluster, 'B', log, ['chat.room', 'chat.*', 'chat.#', 'other'])
    const c = node(cluster, 'C', log, ['#'])
    buses.push(a, b, c)

    a.publish('chat.room', { text: 'hi' })

    expect(log.sort()).toEqual(
      [
        ['A chat.room', 'chat.room', { text: 'hi' }],
        ['A chat.*', 'chat.room', { text: 'hi' }],
        ['B chat.room', 'chat.room', { text: 'hi' }],
        ['B chat.*', 'chat.room', { text: 'hi' }],
        ['B chat.#', 'chat.room', { text: 'hi' }],
        ['C #', 'chat.room', { text: 'hi' }],
      ].sort(),
    )
  })

  it('local subscribers get the original object; remote ones get a decoded copy', () => {
    const cluster = new MemoryCluster({ separator: ':' })
    const got: Record<string, unknown> = {}
    const a = new EventBus({ separator: ':', adapter: new MemoryClusterAdapter(cluster) })
    const b = new EventBus({ separator: ':', adapter: new MemoryClusterAdapter(cluster) })
    buses.push(a, b)
    a.subscribe('room:*:message', (m) => {
      got.a = m
    })
    b.subscribe('room:*:message', (m) => {
      got.b = m
    })
    const payload = { text: 'x', bytes: new Uint8Array([0, 255, 7]) }
    a.publish('room:42:message', payload)
    expect(got.a).toBe(payload)
    expect(got.b).not.toBe(payload)
    expect(got.b).toEqual(payload)
  })

  it('only sends to nodes with an interest, and stops after the last unsubscribe', () => {
    const cluster = new MemoryCluster()
    const taken: EncodedEnvelope[] = []
    const a = new EventBus({ adapter: new MemoryClusterAdapter(cluster) })
    const b = new EventBus({ adapter: new MemoryClusterAdapter(cluster) })
    buses.push(a, b)
    // Watch the "wire" with a raw node.
    cluster.subscribe('#', { take: (d) => void taken.push(d) })
    const got: unknown[] = []
    const s1 = b.subscribe('x.*', (m) => void got.push(m))
    const s2 = b.subscribe('x.*', (m) => void got.push(m))
    a.publish('x.1', 1)
    s1.unsubscribe()
    a.publish('x.1', 2)
    s2.unsubscribe()
    a.publish('x.1', 3)
    expect(got).toEqual([1, 1, 2])
    expect(taken).toHaveLength(3)
    expect(b.hasSubscribers('x.1')).toBe(false)
  })

  it('keeps per-publisher order when handlers publish while the cluster is delivering', () => {
    const cluster = new MemoryCluster()
    const a = new EventBus<number>({ adapter: new MemoryClusterAdapter(cluster) })
    const b = new EventBus<number>({ adapter: new MemoryClusterAdapter(cluster) })
    const c = new EventBus<number>({ adapter: new MemoryClusterAdapter(cluster) })
    buses.push(a, b, c)
    const onC: string[] = []
    // A reacts to its own publish 1 with publish 2 (local path, before the wire).
    a.subscribe('n', (m) => {
      if (m === 1) a.publish('n', 2)
    })
    // B reacts to 1 by publishing 10 while the cluster is still delivering 1.
    b.subscribe('n', (m) => {
      if (m === 1) b.publish('n', 10)
    })
    c.subscribe('n', (m) => void onC.push(String(m)))
    a.publish('n', 1)
    expect(onC.filter((m) => m !== '10')).toEqual(['1', '2'])
    expect(onC).toContain('10')
    expect(onC).toHaveLength(3)
  })

  it('drops stale, foreign-version and undecodable envelopes and reports decode failures', () => {
    const cluster = new MemoryCluster()
    const errors: unknown[] = []
    const b = new EventBus({
      adapter: new MemoryClusterAdapter(cluster),
      onError: (e) => void errors.push(e),
    })
    buses.push(b)
    const got: unknown[] = []
    b.subscribe('t', (m) => void got.push(m))
    const send = (e: object) => cluster.publish('t', JSON.stringify(e))
    const env = { v: 1, type: 'publish', nodeId: 'X', instance: 'i1', topic: 't', ts: 0 }
    send({ ...env, seq: 2, payload: 'two' })
    send({ ...env, seq: 1, payload: 'one (late)' })
    send({ ...env, seq: 2, payload: 'two (again)' })
    send({ ...env, v: 2, seq: 3, payload: 'v2' })
    cluster.publish('t', '{not json')
    send({ ...env, seq: 3, payload: 'three' })
    send({ ...env, seq: 2, payload: 'two (from before the restart)' })
    // X restarted under the same nodeId: a new instance starts its own sequence.
    send({ ...env, instance: 'i2', seq: 1, payload: 'one (after restart)' })
    send({ ...env, instance: 'i2', seq: 1, payload: 'one (duplicate)' })
    expect(got).toEqual(['two', 'three', 'one (after restart)'])
    expect(errors).toHaveLength(2)
    expect(errors).toEqual([
      expect.objectContaining({ code: 'DECODE_FAILED' }),
      expect.objectContaining({ code: 'DECODE_FAILED' }),
    ])
  })

  it('refuses a bus whose separator differs from the cluster', () => {
    const cluster = new MemoryCluster({ separator: ':' })
    expect(() => new EventBus({ adapter: new MemoryClusterAdapter(cluster) })).toThrowError(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    )
  })

  it('forgets a node that said bye on close', async () => {
    const cluster = new MemoryCluster()
    const controls: string[] = []
    class Watcher extends MemoryClusterAdapter {
      protected override onControl(envelope: ControlEnvelope): void {
        controls.push(`${envelope.nodeId} ${envelope.name}`)
      }
    }
    const watcher = new EventBus({ adapter: new Watcher(cluster) })
    const leaving = new EventBus({ adapter: new MemoryClusterAdapter(cluster, { nodeId: 'L' }) })
    buses.push(watcher)
    await leaving.close()
    expect(controls).toEqual(['L bye'])
  })
})

describe('adapter errors', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  class FailingAdapter extends BusAdapter {
    readonly subscribed: string[] = []
    protected doPublish(): Promise<void> {
      return Promise.reject(new Error('network down'))
    }
    protected doSubscribe(pattern: string): void {
      this.subscribed.push(pattern)
    }
    protected doUnsubscribe(pattern: string): void {
      this.subscribed.push(`-${pattern}`)
    }
  }

  it('publish still delivers locally and reports a rejected driver publish to onError', async () => {
    let reported: ((e: unknown) => void) | undefined
    const errored = new Promise<unknown>((r) => {
      reported = r
    })
    const adapter = new FailingAdapter()
    const bus = new EventBus({ adapter, onError: (e, topic, sub) => reported?.([e, topic, sub]) })
    const got: unknown[] = []
    bus.subscribe('t', (m) => void got.push(m))
    bus.subscribe('t', () => {})
    bus.subscribe('a.*', () => {}).unsubscribe()
    expect(bus.publish('t', 1)).toBe(2)
    expect(got).toEqual([1])
    expect(await errored).toEqual([new Error('network down'), 't', undefined])
    expect(adapter.subscribed).toEqual(['t', 'a.*', '-a.*'])
  })

  it('publishAsync rejects with the driver error', async () => {
    const bus = new EventBus({ adapter: new FailingAdapter() })
    await expect(bus.publishAsync('t', 1)).rejects.toThrow('network down')
  })

  it('an adapter serves one bus only', () => {
    const adapter = new MemoryClusterAdapter(new MemoryCluster())
    new EventBus({ adapter })
    expect(() => new EventBus({ adapter })).toThrowError(
      expect.objectContaining({ code: 'ADAPTER_ATTACHED' }),
    )
  })

  it('the JSON codec round-trips envelopes with bytes at any depth', () => {
    const env: Envelope = {
      v: 1,
      type: 'publish',
      nodeId: 'n',
      instance: 'i',
      seq: 1,
      topic: 't',
      ts: 5,
      payload: { a: Buffer.from('hi'), b: [new Uint8Array([1, 2])], c: 'text' },
    }
    const back = jsonCodec.decode(jsonCodec.encode(env)) as Envelope & { payload: any }
    expect(back.payload.a).toEqual(new Uint8Array(Buffer.from('hi')))
    expect(back.payload.b[0]).toEqual(new Uint8Array([1, 2]))
    expect(back.payload.c).toBe('text')
    expect(jsonCodec.decode(new TextEncoder().encode(JSON.stringify({ x: 1 })))).toEqual({ x: 1 })
  })
})
