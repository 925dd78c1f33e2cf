import type { EventBus, Subscription } from '@hubbub/bus'
import type { Transport } from '@hubbub/transport'
import type { ConnectionRecord } from './ConnectionRecord.js'
import type { ServerMetrics } from './metrics/index.js'

interface TopicEntry {
  /** Local connections subscribed (transport and fallback). */
  count: number
  subscription: Subscription
  /** Connections that cannot subscribe at the transport; usually null. */
  fallback: Set<ConnectionRecord> | null
}

/**
 * Bus → transport bridge. The first local subscriber of a topic subscribes the
 * node to it on the bus; each bus message becomes one `transport.publish` (the
 * transport fans out pre-encoded bytes), plus direct sends to the few sockets
 * that have no transport pub/sub. Exact-topic subscriptions keep bus delivery
 * at one Map lookup.
 */
export class TopicBridge {
  readonly #topics = new Map<string, TopicEntry>()

  constructor(
    readonly bus: EventBus<string | Uint8Array>,
    readonly transport: Transport<unknown> | undefined,
    readonly metrics: ServerMetrics,
  ) {}

  subscribe(conn: ConnectionRecord, topic: string): void {
    let entry = this.#topics.get(topic)
    if (entry === undefined) {
      const created: TopicEntry = { count: 0, subscription: undefined as never, fallback: null }
      created.subscription = this.bus.subscribe(topic, (data) => this.#deliver(topic, data, created))
      this.#topics.set(topic, created)
      entry = created
    }
    entry.count++
    const socket = conn.socket
    if (this.transport !== undefined && socket.subscribe !== undefined) socket.subscribe(topic)
    else {
      if (entry.fallback === null) entry.fallback = new Set()
      entry.fallback.add(conn)
    }
  }

  unsubscribe(conn: ConnectionRecord, topic: string): void {
    const entry = this.#topics.get(topic)
    if (entry === undefined) return
    const socket = conn.socket
    if (entry.fallback?.delete(conn)) {
      if (entry.fallback.size === 0) entry.fallback = null
    } else if (this.transport !== undefined && socket.unsubscribe !== undefined && !conn.isClosed) {
      socket.unsubscribe(topic)
    }
    if (--entry.count <= 0) {
      entry.subscription.unsubscribe()
      this.#topics.delete(topic)
    }
  }

  /** Local connections subscribed to `topic`. */
  subscribers(topic: string): number {
    return this.#topics.get(topic)?.count ?? 0
  }

  #deliver(topic: string, data: string | Uint8Array, entry: TopicEntry): void {
    this.transport?.publish(topic, data)
    const fallback = entry.fallback
    if (fallback !== null) for (const conn of fallback) if (!conn.isClosed) conn.socket.send(data)
    this.metrics.fanoutDeliveries.inc(entry.count)
  }

  close(): void {
    for (const entry of this.#topics.values()) entry.subscription.unsubscribe()
    this.#topics.clear()
  }
}
