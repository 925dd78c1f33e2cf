import { afterEach, describe, expect, it } from 'vitest'
import {
  type ClusterMessage,
  EventBus,
  isClusterMessage,
  MemoryCluster,
  MemoryClusterAdapter,
} from '../src/index.js'

describe('typed cluster messages between nodes', () => {
  const buses: EventBus[] = []
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close()))
  })

  function node(cluster: MemoryCluster, nodeId: string, errors: unknown[] = []) {
    const adapter = new MemoryClusterAdapter(cluster, { nodeId })
    const bus = new EventBus({ adapter, onError: (err) => errors.push(err) })
    buses.push(bus)
    const got: Array<[ClusterMessage, string]> = []
    adapter.onCluster((message, from) => got.push([message, from]))
    return { adapter, bus, got, errors }
  }

  it('reach every other node with the sender, never the sender itself, and stop after unsubscribe', () => {
    const cluster = new MemoryCluster()
    const a = node(cluster, 'A')
    const b = node(cluster, 'B')
    const c = node(cluster, 'C')
    const toUser: ClusterMessage = {
      type: 'send_to_user',
      userId: 'u1',
      frame: { type: 'notice', text: 'hi' },
    }
    a.adapter.sendCluster(toUser)
    b.adapter.sendCluster({ type: 'disconnect_user', userId: 'u2', code: 1000, reason: 'bye' })
    expect(a.got).toEqual([[{ type: 'disconnect_user', userId: 'u2', code: 1000, reason: 'bye' }, 'B']])
    expect(b.got).toEqual([[toUser, 'A']])
    expect(c.got.map(([, from]) => from)).toEqual(['A', 'B'])
    const later: Array<[ClusterMessage, string]> = []
    const off = c.adapter.onCluster((m, from) => later.push([m, from]))
    off()
    a.adapter.sendCluster({ type: 'node_heartbeat', ts: 1, connections: 3 })
    a.adapter.sendCluster({ type: 'node_bye' })
    expect(later).toEqual([])
    expect(c.got.slice(2)).toEqual([
      [{ type: 'node_heartbeat', ts: 1, connections: 3 }, 'A'],
      [{ type: 'node_bye' }, 'A'],
    ])
  })

  it('a malformed cluster message from another node is reported and reaches no handler', () => {
    const cluster = new MemoryCluster()
    const a = node(cluster, 'A')
    const b = node(cluster, 'B')
    a.adapter.sendControl('cluster', { type: 'send_to_user', userId: 42 })
    a.adapter.sendControl('cluster', { type: 'no_such_kind' })
    expect(b.got).toEqual([])
    expect(b.errors.map((e) => (e as { code?: string }).code)).toEqual(['DECODE_FAILED', 'DECODE_FAILED'])
  })

  it('isClusterMessage accepts each kind and refuses what is not one', () => {
    const good: ClusterMessage[] = [
      { type: 'send_to_user', userId: 'u', frame: {} },
      { type: 'disconnect_user', userId: 'u', code: 4000, reason: '' },
      { type: 'private', to: 'ann', frame: { type: 'private' } },
      { type: 'node_heartbeat', ts: 0, connections: 0 },
      { type: 'node_bye' },
    ]
    for (const m of good) expect(isClusterMessage(m)).toBe(true)
    for (const m of [
      null,
      [],
      'x',
      { type: 'private', to: 'ann', frame: [] },
      { type: 'node_heartbeat', ts: Number.NaN, connections: 0 },
    ])
      expect(isClusterMessage(m)).toBe(false)
  })
})
