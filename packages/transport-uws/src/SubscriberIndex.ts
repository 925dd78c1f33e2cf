/** Anything with a uWS socket whose outgoing buffer can be asked for. */
interface Buffered {
  readonly ws: { getBufferedAmount(): number }
}

interface TopicEntry<C> {
  subscribers: Set<C>
  /** Largest buffered amount among the subscribers at the last scan. */
  worst: number
  /** `written` at that scan. */
  writtenAtScan: number
  publishes: number
}

/** A full scan at least this often, for bytes we cannot see (uWS's automatic pongs). */
const fullScanEvery = 64

/** Upper bound of what one message adds to a socket's buffer: ≤ 3 UTF-8 bytes per UTF-16 unit, plus a frame header. */
function frameBound(data: string | Uint8Array): number {
  return (typeof data === 'string' ? data.length * 3 : data.byteLength) + 14
}

/**
 * Topic → subscribers, kept beside uWS's native topic tree for one job: find the
 * subscribers over the backpressure limit before a publish, which uWS would skip
 * silently (or, past its own limit, cut without a close frame). Asking every
 * subscriber costs one native call each, so the scan only runs when a subscriber
 * could be over the limit. A socket's buffer is counted per connection, across all
 * its topics: the worst buffer seen at the topic's last scan plus every byte written
 * anywhere since (publishes to every topic, direct sends and pings, counted as if
 * they had all gone to one socket) is a sound upper bound for each of its subscribers.
 */
export class SubscriberIndex<C extends Buffered> {
  private readonly topics = new Map<string, TopicEntry<C>>()
  /** Upper bound of the bytes written to any one socket: every publish, send and ping. */
  private written = 0

  constructor(
    private readonly limit: number,
    private readonly onOverLimit: (subscriber: C, data: string | Uint8Array, topic: string) => void,
  ) {}

  add(topic: string, subscriber: C): void {
    const entry = this.topics.get(topic)
    if (entry) {
      entry.subscribers.add(subscriber)
      entry.worst = Number.POSITIVE_INFINITY // a newcomer's buffer is unknown: scan next time
    } else {
      this.topics.set(topic, {
        subscribers: new Set([subscriber]),
        worst: Number.POSITIVE_INFINITY,
        writtenAtScan: this.written,
        publishes: 0,
      })
    }
  }

  remove(topic: string, subscriber: C): void {
    const entry = this.topics.get(topic)
    if (!entry) return
    entry.subscribers.delete(subscriber)
    if (entry.subscribers.size === 0) this.topics.delete(topic)
  }

  /** Records a message written to one socket outside publish (a send, a ping). */
  wrote(data: string | Uint8Array): void {
    this.written += frameBound(data)
  }

  /** Records a ping to every socket. */
  pinged(): void {
    this.written += 14
  }

  /**
   * Applies the backpressure policy to every subscriber over the limit, before uWS
   * would skip it. Returns false when the topic has no subscribers (nothing to publish).
   */
  beforePublish(topic: string, data: string | Uint8Array): boolean {
    const entry = this.topics.get(topic)
    if (!entry) return false
    if (
      entry.worst + (this.written - entry.writtenAtScan) > this.limit ||
      ++entry.publishes >= fullScanEvery
    ) {
      let worst = 0
      for (const subscriber of entry.subscribers) {
        const buffered = subscriber.ws.getBufferedAmount()
        if (buffered > this.limit) this.onOverLimit(subscriber, data, topic)
        if (buffered > worst) worst = buffered
      }
      entry.worst = worst
      entry.writtenAtScan = this.written
      entry.publishes = 0
    }
    this.written += frameBound(data)
    return true
  }
}
