import type { EventBus, Subscription } from '@hubbub/bus'
import type { Transport } from '@hubbub/transport'
import type { ConnectionRecord } from './ConnectionRecord.js'

interface TopicEntry {
  /** Room incarnations holding the topic open (a restart may open before the crashed one closes). */
  opens: number
  subscription: Subscription
  /** Connections that cannot subscribe at the transport; usually null. */
  fallback: Set<ConnectionRecord> | null
}

/**
 * Bus → transport bridge. A room holds its topics open on the bus while its actor
 * lives; each bus message becomes one `transport.publish` (the transport fans out
 * pre-encoded bytes), plus direct sends to the few sockets that have no transport
 * pub/sub. Exact-topic subscriptions keep bus delivery at one Map lookup.
 * Socket subscriptions are idempotent, so releasing one twice is harmless.
 */
export class TopicBridge {
  readonly #topics = new Map<string, TopicEntry>()

  constructor(
    readonly bus: EventBus<string | Uint8Array>,
    readonly transport: Transport<unknown> | undefined,
  ) {}

  open(topic: string): void {
    const entry = this.#topics.get(topic)
    if (entry !== undefined) {
      entry.opens++
      return
    }
    const created: TopicEntry = { opens: 1, subscription: undefined as never, fallback: null }
    created.subscription = this.bus.subscribe(topic, (data) => this.#deliver(data, created, topic))
    this.#topics.set(topic, created)
  }

  close(topic: string): void {
    const entry = this.#topics.get(topic)
    if (entry === undefined || --entry.opens > 0) return
    entry.subscription.unsubscribe()
    this.#topics.delete(topic)
  }

  subscribe(conn: ConnectionRecord, topic: string): void {
    const socket = conn.socket
    if (this.transport !== undefined && socket.subscribe !== undefined) {
      socket.subscribe(topic)
      return
    }
    const entry = this.#topics.get(topic)
    if (entry === undefined) return
    if (entry.fallback === null) entry.fallback = new Set()
    entry.fallback.add(conn)
  }

  unsubscribe(conn: ConnectionRecord, topic: string): void {
    const socket = conn.socket
    if (this.transport !== undefined && socket.unsubscribe !== undefined) {
      if (!conn.isClosed) socket.unsubscribe(topic)
      return
    }
    const entry = this.#topics.get(topic)
    if (entry?.fallback?.delete(conn) && entry.fallback.size === 0) entry.fallback = null
  }

  /** Hands encoded bytes to this node's subscribers of `topic` only (what the room log delivers). */
  deliver(topic: string, data: string | Uint8Array): void {
    const entry = this.#topics.get(topic)
    if (entry !== undefined) this.#deliver(data, entry, topic)
    else this.transport?.publish(topic, data)
  }

  #deliver(data: string | Uint8Array, entry: TopicEntry, topic: string): void {
    this.transport?.publish(topic, data)
    const fallback = entry.fallback
    if (fallback !== null) for (const conn of fallback) if (!conn.isClosed) conn.socket.send(data)
  }

  closeAll(): void {
    for (const entry of this.#topics.values()) entry.subscription.unsubscribe()
    this.#topics.clear()
  }
}
