import type { EncodedEnvelope } from './Envelope.js'
import { EventBus, type Subscription } from './EventBus.js'

/** A node of the cluster: it takes whatever the "network" carries. */
export interface MemoryClusterNode {
  take(data: EncodedEnvelope): void
}

export interface MemoryClusterOptions {
  /** Must equal the separator of the buses that join; default `.`. */
  separator?: string
}

/**
 * The "network" that `MemoryClusterAdapter`s share: a pub/sub broker in one process,
 * behaving like Redis pub/sub (a node with two overlapping patterns receives a message
 * twice; the publisher receives its own). Delivery is synchronous but never re-entrant:
 * a publish made while the cluster is delivering is queued behind it, so each
 * publisher's messages reach every node in the order they were sent.
 */
export class MemoryCluster {
  private readonly router: EventBus<EncodedEnvelope>
  private readonly nodes = new Set<MemoryClusterNode>()
  private readonly queue: Array<{ topic: string | undefined; data: EncodedEnvelope }> = []
  private draining = false

  constructor(options: MemoryClusterOptions = {}) {
    this.router = new EventBus<EncodedEnvelope>({
      separator: options.separator ?? '.',
      onError: (err) => console.error('[@hubbub/bus] MemoryCluster node failed to take a message', err),
    })
  }

  get separator(): string {
    return this.router.separator
  }

  join(node: MemoryClusterNode): void {
    this.nodes.add(node)
  }

  leave(node: MemoryClusterNode): void {
    this.nodes.delete(node)
  }

  /** Like SUBSCRIBE/PSUBSCRIBE: `node` receives every publish whose topic matches `pattern`. */
  subscribe(pattern: string, node: MemoryClusterNode): Subscription {
    return this.router.subscribe(pattern, (data) => node.take(data))
  }

  /** Like PUBLISH on `topic`; without a topic, a broadcast to every node (control messages). */
  publish(topic: string | undefined, data: EncodedEnvelope): void {
    this.queue.push({ topic, data })
    if (this.draining) return
    this.draining = true
    try {
      for (let i = 0; i < this.queue.length; i++) {
        const { topic: t, data: d } = this.queue[i]!
        if (t === undefined) for (const node of [...this.nodes]) node.take(d)
        else this.router.publish(t, d)
      }
    } finally {
      this.queue.length = 0
      this.draining = false
    }
  }
}
