import { register as globalRegistry } from 'prom-client'
import { describe, expect, it, onTestFinished } from 'vitest'
import { createMetrics, type MetricsOptions } from '../src/metrics/index.js'

function metrics(options: MetricsOptions) {
  const m = createMetrics(options)
  onTestFinished(() => m.close())
  return m
}

/** The value of one unlabelled-by-hand series in Prometheus text (the node_id default label aside). */
function sample(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`))
  if (line === undefined) throw new Error(`${name} not in the exposition`)
  return Number(line.slice(line.lastIndexOf(' ') + 1))
}

describe('createMetrics', () => {
  it('exposes every server series with the prefix and a node_id label', async () => {
    const m = metrics({ nodeId: 'node-a' })
    m.connections.set(3)
    m.rooms.set(2)
    m.messagesIn.inc()
    m.messagesOut.inc(4)
    m.fanoutDeliveries.inc(1000)
    m.drops.inc(2)
    m.rateLimitHits.inc()
    m.actorRestarts.inc()
    const text = await m.render()
    expect(sample(text, 'hubbub_connections')).toBe(3)
    expect(sample(text, 'hubbub_rooms')).toBe(2)
    expect(sample(text, 'hubbub_messages_in_total')).toBe(1)
    expect(sample(text, 'hubbub_messages_out_total')).toBe(4)
    expect(sample(text, 'hubbub_fanout_deliveries_total')).toBe(1000)
    expect(sample(text, 'hubbub_drops_total')).toBe(2)
    expect(sample(text, 'hubbub_rate_limit_hits_total')).toBe(1)
    expect(sample(text, 'hubbub_actor_restarts_total')).toBe(1)
    expect(text).toContain('hubbub_connections{node_id="node-a"} 3')
    expect(text).toContain('# TYPE hubbub_fanout_deliveries_total counter')
    for (const name of [
      'event_loop_lag_seconds',
      'event_loop_lag_p99_seconds',
      'process_resident_memory_bytes',
      'heap_used_bytes',
      'process_cpu_seconds_total',
    ]) {
      expect(Number.isFinite(sample(text, `hubbub_${name}`))).toBe(true)
    }
    expect(sample(text, 'hubbub_process_resident_memory_bytes')).toBeGreaterThan(0)
    expect(m.contentType).toMatch(/^text\/plain; version=0\.0\.4/)
  })

  it('keeps two servers in one process apart and off the global registry', async () => {
    const a = metrics({ nodeId: 'same' })
    const b = metrics({ nodeId: 'same' })
    a.messagesIn.inc(5)
    b.messagesIn.inc(7)
    expect(sample(await a.render(), 'hubbub_messages_in_total')).toBe(5)
    expect(sample(await b.render(), 'hubbub_messages_in_total')).toBe(7)
    expect(a.registry).not.toBe(b.registry)
    expect(await globalRegistry.metrics()).not.toContain('hubbub_')
  })

  it('honours a custom prefix', async () => {
    const m = metrics({ nodeId: 'n', prefix: 'chat_' })
    m.connections.inc()
    const text = await m.render()
    expect(sample(text, 'chat_connections')).toBe(1)
    expect(text).not.toContain('hubbub_')
  })

  it('reports event-loop lag after the loop was blocked', async () => {
    const m = metrics({ nodeId: 'n', eventLoopResolutionMs: 10 })
    await new Promise((r) => setTimeout(r, 20))
    const until = Date.now() + 60
    while (Date.now() < until) {
      // Block the loop on purpose so the monitor records a delay.
    }
    await new Promise((r) => setTimeout(r, 30))
    const text = await m.render()
    expect(sample(text, 'hubbub_event_loop_lag_p99_seconds')).toBeGreaterThan(0)
    expect(sample(text, 'hubbub_event_loop_lag_seconds')).toBeGreaterThan(0)
  })

  it('renders after close, and close is idempotent', async () => {
    const m = metrics({ nodeId: 'n' })
    m.close()
    m.close()
    m.drops.inc()
    expect(sample(await m.render(), 'hubbub_drops_total')).toBe(1)
  })

  it('rejects a negative counter increment instead of going backwards', () => {
    const m = metrics({ nodeId: 'n' })
    expect(() => m.fanoutDeliveries.inc(-1)).toThrow()
  })
})
