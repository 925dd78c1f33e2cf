import { BusAdapter, type BusAdapterHost, type BusAdapterOptions } from './BusAdapter.js'
import { BusError } from './BusError.js'
import type { EncodedEnvelope, Envelope } from './Envelope.js'
import type { Subscription } from './EventBus.js'
import type { MemoryCluster } from './MemoryCluster.js'

/**
 * Connects several buses in one process through a shared `MemoryCluster`, so multi-node
 * behaviour (fan-out, no echo, exactly one delivery per subscription) can be tested
 * without Redis. It is also the smallest complete driver: three methods and `receive`.
 */
export class MemoryClusterAdapter extends BusAdapter {
  private readonly interests = new Map<string, Subscription>()
  private readonly node = { take: (data: EncodedEnvelope) => void this.receive(data) }

  constructor(
    readonly cluster: MemoryCluster,
    options: BusAdapterOptions = {},
  ) {
    super(options)
    cluster.join(this.node)
  }

  override attach(host: BusAdapterHost): void {
    if (host.separator !== this.cluster.separator) {
      throw new BusError(
        'INVALID_OPTIONS',
        `the bus separator '${host.separator}' differs from the cluster's`,
      )
    }
    super.attach(host)
  }

  protected doPublish(data: EncodedEnvelope, envelope: Envelope): void {
    this.cluster.publish(envelope.type === 'publish' ? envelope.topic : undefined, data)
  }

  protected doSubscribe(pattern: string): void {
    if (!this.interests.has(pattern)) this.interests.set(pattern, this.cluster.subscribe(pattern, this.node))
  }

  protected doUnsubscribe(pattern: string): void {
    this.interests.get(pattern)?.unsubscribe()
    this.interests.delete(pattern)
  }

  protected override doClose(): void {
    this.sendControl('bye')
    for (const sub of this.interests.values()) sub.unsubscribe()
    this.interests.clear()
    this.cluster.leave(this.node)
  }
}
