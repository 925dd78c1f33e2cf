import { BusError } from './BusError.js'
import { CLUSTER_CONTROL, type ClusterMessage, isClusterMessage } from './ClusterMessage.js'
import {
  type ControlEnvelope,
  ENVELOPE_VERSION,
  type EncodedEnvelope,
  type Envelope,
  isEnvelope,
  type PublishEnvelope,
} from './Envelope.js'
import type { EnvelopeCodec } from './EnvelopeCodec.js'
import { jsonCodec } from './jsonCodec.js'

/** What a bus lends its adapter: where remote messages are delivered and where errors go. */
export interface BusAdapterHost {
  readonly separator: string
  /** Delivers to local subscriptions only (never back to the adapter); returns the delivery count. */
  deliver(topic: string, payload: unknown): number
  reportError(err: unknown, topic: string): void
}

/** Receives each cluster message another node sent, with that node's id. */
export type ClusterHandler = (message: ClusterMessage, fromNode: string) => void

export interface BusAdapterOptions {
  /** This node's id, stamped on every envelope it sends; a random UUID by default. */
  nodeId?: string
  /** How envelopes cross the boundary; JSON by default. */
  codec?: EnvelopeCodec
}

/**
 * Cross-node delivery, in the style of socket.io's ClusterAdapter: this base owns the
 * envelope, its encoding, loop prevention (a node ignores its own envelopes) and
 * per-publisher ordering (an envelope older than the last one seen from its node is
 * dropped, which also removes duplicates from overlapping pattern subscriptions).
 * A driver implements only `doPublish`, `doSubscribe` and `doUnsubscribe` (and
 * `doClose` if it holds resources), and hands whatever arrives to `receive`.
 * Return types are `T | Promise<T>` so an in-memory driver stays synchronous.
 */
export abstract class BusAdapter {
  readonly nodeId: string
  /** False for an adapter that never leaves this process; the bus then skips it entirely. */
  readonly distributed: boolean = true
  protected readonly codec: EnvelopeCodec
  private host: BusAdapterHost | undefined
  private readonly instance: string
  private seq = 0
  private readonly lastSeq = new Map<string, { instance: string; seq: number }>()
  private readonly clusterHandlers = new Set<ClusterHandler>()

  constructor(options: BusAdapterOptions = {}) {
    this.nodeId = options.nodeId ?? globalThis.crypto.randomUUID()
    this.codec = options.codec ?? jsonCodec
    this.instance = globalThis.crypto.randomUUID().slice(0, 8)
  }

  /** Called once by the bus that owns this adapter. */
  attach(host: BusAdapterHost): void {
    if (this.host !== undefined) throw new BusError('ADAPTER_ATTACHED', 'this adapter already serves a bus')
    this.host = host
  }

  /** The separator of the attached bus, which drivers need to translate patterns. */
  protected get separator(): string {
    return this.host?.separator ?? '.'
  }

  /** Sends a local publish to the other nodes. Called by the bus; encoding errors throw here. */
  publish(topic: string, payload: unknown): void | Promise<void> {
    const envelope: PublishEnvelope = {
      v: ENVELOPE_VERSION,
      type: 'publish',
      nodeId: this.nodeId,
      instance: this.instance,
      seq: ++this.seq,
      topic,
      payload,
      ts: Date.now(),
    }
    return this.doPublish(this.codec.encode(envelope), envelope)
  }

  /** Sends a control message to every node; they see it in `onControl`. */
  sendControl(name: string, data?: unknown): void | Promise<void> {
    const envelope: ControlEnvelope =
      data === undefined
        ? { v: ENVELOPE_VERSION, type: 'control', nodeId: this.nodeId, name, ts: Date.now() }
        : { v: ENVELOPE_VERSION, type: 'control', nodeId: this.nodeId, name, data, ts: Date.now() }
    return this.doPublish(this.codec.encode(envelope), envelope)
  }

  /** Sends a typed cluster message to every other node; they see it in their `onCluster` handlers. */
  sendCluster(message: ClusterMessage): void | Promise<void> {
    return this.sendControl(CLUSTER_CONTROL, message)
  }

  /** Calls `handler` with each cluster message from another node (validated first); returns the unsubscribe. */
  onCluster(handler: ClusterHandler): () => void {
    this.clusterHandlers.add(handler)
    return () => this.clusterHandlers.delete(handler)
  }

  /** The bus calls this when a topic or pattern gains its first local subscription. */
  subscribe(pattern: string): void | Promise<void> {
    return this.doSubscribe(pattern)
  }

  /** The bus calls this when a topic or pattern loses its last local subscription. */
  unsubscribe(pattern: string): void | Promise<void> {
    return this.doUnsubscribe(pattern)
  }

  close(): void | Promise<void> {
    return this.doClose()
  }

  /**
   * A driver hands every message it receives here, encoded or already decoded. Returns
   * the number of local deliveries (0 for own, stale, control or undecodable envelopes).
   */
  protected receive(data: EncodedEnvelope | Envelope): number {
    const host = this.host
    if (host === undefined) return 0
    let envelope: unknown = data
    if (typeof data === 'string' || data instanceof Uint8Array) {
      try {
        envelope = this.codec.decode(data)
      } catch (err) {
        host.reportError(
          new BusError('DECODE_FAILED', 'an envelope could not be decoded', { cause: err }),
          '',
        )
        return 0
      }
    }
    if (!isEnvelope(envelope)) {
      host.reportError(new BusError('DECODE_FAILED', 'received data is not a version 1 envelope'), '')
      return 0
    }
    if (envelope.nodeId === this.nodeId) return 0
    if (envelope.type === 'control') {
      if (envelope.name === CLUSTER_CONTROL) this.deliverCluster(envelope, host)
      else this.onControl(envelope)
      return 0
    }
    if (!this.accept(envelope)) return 0
    return host.deliver(envelope.topic, envelope.payload)
  }

  /**
   * Keeps per-publisher order and at-most-once: an envelope whose `seq` is not newer than
   * the last one seen from its node is dropped. A driver whose channel may reorder one
   * publisher's messages (e.g. sharded pub/sub across shards) can override this.
   */
  protected accept(envelope: PublishEnvelope): boolean {
    const last = this.lastSeq.get(envelope.nodeId)
    if (last === undefined || last.instance !== envelope.instance) {
      // First envelope from this node, or the node restarted: a new sequence begins.
      this.lastSeq.set(envelope.nodeId, { instance: envelope.instance, seq: envelope.seq })
      return true
    }
    if (envelope.seq <= last.seq) return false
    last.seq = envelope.seq
    return true
  }

  private deliverCluster(envelope: ControlEnvelope, host: BusAdapterHost): void {
    const message = envelope.data
    if (!isClusterMessage(message)) {
      host.reportError(
        new BusError('DECODE_FAILED', `node ${envelope.nodeId} sent an invalid cluster message`),
        '',
      )
      return
    }
    // A node that says goodbye starts a fresh sequence if it comes back.
    if (message.type === 'node_bye') this.lastSeq.delete(envelope.nodeId)
    for (const handler of this.clusterHandlers) {
      try {
        handler(message, envelope.nodeId)
      } catch (err) {
        host.reportError(err, '')
      }
    }
  }

  /** Control messages from other nodes land here; a node that leaves can be forgotten. */
  protected onControl(envelope: ControlEnvelope): void {
    if (envelope.name === 'bye') this.lastSeq.delete(envelope.nodeId)
  }

  /** Sends one envelope to every node that may be interested; `data` is the codec's output. */
  protected abstract doPublish(data: EncodedEnvelope, envelope: Envelope): void | Promise<void>
  /** Starts receiving publishes whose topic matches `pattern` (bus syntax: `*` and `#`). */
  protected abstract doSubscribe(pattern: string): void | Promise<void>
  /** Stops receiving for `pattern`; called once per earlier `doSubscribe` of that pattern. */
  protected abstract doUnsubscribe(pattern: string): void | Promise<void>
  protected doClose(): void | Promise<void> {}
}
