import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks'
import { Counter, Gauge, Registry } from 'prom-client'

export interface MetricsOptions {
  /** This node's id, added to every series as the `node_id` label. */
  nodeId: string
  /** Metric name prefix. Default `hubbub_`. */
  prefix?: string
  /** Event-loop delay sampling resolution in ms. Default 20. */
  eventLoopResolutionMs?: number
}

/** The server's Prometheus metrics, on a registry of their own (never prom-client's global one). */
export interface ServerMetrics {
  readonly registry: Registry
  /** Open WebSocket connections. */
  readonly connections: Gauge
  /** Live rooms on this node. */
  readonly rooms: Gauge
  /** Frames received from clients. */
  readonly messagesIn: Counter
  /** Frames sent to one connection directly (replies, errors, private messages, presence). */
  readonly messagesOut: Counter
  /** Frames delivered by topic fan-out: inc by the subscriber count once per publish, never per recipient. */
  readonly fanoutDeliveries: Counter
  /** Frames dropped by the backpressure policy (each is an offset gap the client can see). */
  readonly drops: Counter
  /** Frames refused by a rate limit: the connection's (`RATE_LIMITED`), or a behaviour's `rateLimits`. */
  readonly rateLimitHits: Counter
  /** Connection and room actors restarted (or, for temporary connection actors, crashed). */
  readonly actorRestarts: Counter
  /** Mean event-loop delay since the previous scrape, in seconds. */
  readonly eventLoopLag: Gauge
  /** The Content-Type of `render()`'s output. */
  readonly contentType: string
  /** The Prometheus text exposition of every metric. */
  render(): Promise<string>
  /** Stops the event-loop monitor; idempotent. Metrics still render afterwards. */
  close(): void
}

/**
 * Creates the metrics of one server. Hot-path updates are a single `inc(n)`
 * each; process and event-loop figures are sampled only when scraped.
 */
export function createMetrics(options: MetricsOptions): ServerMetrics {
  const prefix = options.prefix ?? 'hubbub_'
  const registry = new Registry()
  registry.setDefaultLabels({ node_id: options.nodeId })
  const registers = [registry]

  const counter = (name: string, help: string) => new Counter({ name: prefix + name, help, registers })
  const gauge = (name: string, help: string) => new Gauge({ name: prefix + name, help, registers })

  const loop: IntervalHistogram = monitorEventLoopDelay({ resolution: options.eventLoopResolutionMs ?? 20 })
  loop.enable()
  let closed = false
  const seconds = (ns: number) => (Number.isFinite(ns) ? ns / 1e9 : 0)

  const eventLoopLag = new Gauge({
    name: `${prefix}event_loop_lag_seconds`,
    help: 'Mean event-loop delay since the previous scrape, in seconds.',
    registers,
    collect() {
      this.set(loop.count > 0 ? seconds(loop.mean) : 0)
    },
  })
  new Gauge({
    name: `${prefix}event_loop_lag_p99_seconds`,
    help: '99th percentile event-loop delay since the previous scrape, in seconds.',
    registers,
    collect() {
      this.set(loop.count > 0 ? seconds(loop.percentile(99)) : 0)
      // Both lag gauges are collected before this reset: registry order is creation order.
      loop.reset()
    },
  })
  new Gauge({
    name: `${prefix}process_resident_memory_bytes`,
    help: 'Resident set size in bytes.',
    registers,
    collect() {
      this.set(process.memoryUsage.rss())
    },
  })
  new Gauge({
    name: `${prefix}heap_used_bytes`,
    help: 'V8 heap in use, in bytes.',
    registers,
    collect() {
      this.set(process.memoryUsage().heapUsed)
    },
  })
  let cpuSeen = 0
  new Counter({
    name: `${prefix}process_cpu_seconds_total`,
    help: 'User and system CPU time spent by this process, in seconds.',
    registers,
    collect() {
      const usage = process.cpuUsage()
      const total = (usage.user + usage.system) / 1e6
      if (total > cpuSeen) this.inc(total - cpuSeen)
      cpuSeen = total
    },
  })

  return {
    registry,
    connections: gauge('connections', 'Open WebSocket connections.'),
    rooms: gauge('rooms', 'Live rooms on this node.'),
    messagesIn: counter('messages_in_total', 'Frames received from clients.'),
    messagesOut: counter('messages_out_total', 'Frames sent directly to one connection.'),
    fanoutDeliveries: counter('fanout_deliveries_total', 'Frames delivered to subscribers by topic fan-out.'),
    drops: counter('drops_total', 'Frames dropped by the backpressure policy.'),
    rateLimitHits: counter(
      'rate_limit_hits_total',
      "Frames refused by a rate limit: the connection's, or a room behaviour's per-type limit.",
    ),
    actorRestarts: counter('actor_restarts_total', 'Connection and room actors restarted or crashed.'),
    eventLoopLag,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    close() {
      if (closed) return
      closed = true
      loop.disable()
    },
  }
}
