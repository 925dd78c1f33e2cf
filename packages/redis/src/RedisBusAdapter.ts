import {
  BusAdapter,
  type BusAdapterOptions,
  type EncodedEnvelope,
  type Envelope,
  toGlobPattern,
} from '@hubbub/bus'
import { closeRedis, openRedis, type RedisClient, type RedisConnectionTarget } from './redisConnection.js'

export interface RedisBusAdapterOptions extends BusAdapterOptions {
  /**
   * A `redis://` URL, ioredis options, a Cluster (`{ cluster: [nodes…] }`) or a ready ioredis
   * client to copy. On a Cluster the bus keeps classic `PUBLISH`/`SUBSCRIBE` (a topic is not a
   * room: it has no slot of its own), which Redis forwards to every master. Default
   * `redis://127.0.0.1:6379`.
   */
  redis?: RedisConnectionTarget
  /**
   * Starts every channel of this bus: a topic `t` travels on `<prefix>t:<t>`, control and
   * cluster messages on `<prefix>control`. Nodes of one deployment use the same prefix.
   * Default `hubbub:bus:`.
   */
  prefix?: string
}

/** What the adapter reports about its link to Redis. */
export type RedisBusEvent = 'disconnected' | 'reconnected' | 'error'

type Handlers = {
  disconnected: Set<() => void>
  reconnected: Set<() => void>
  error: Set<(err: unknown) => void>
}

const GLOB_SPECIAL = /[*?[\]\\]/g

/**
 * A `BusAdapter` on Redis pub/sub: one publishing and one subscribing connection per node. A
 * node subscribes only to the topics and patterns its local subscribers use (exact topics with
 * SUBSCRIBE, wildcards with PSUBSCRIBE), plus the control channel. After the subscriber
 * reconnects it subscribes everything again and emits `reconnected`; what was published while
 * it was away is not replayed (room messages are recovered by the room log, not the bus).
 */
export class RedisBusAdapter extends BusAdapter {
  readonly prefix: string
  readonly #pub: RedisClient
  readonly #sub: RedisClient
  readonly #control: string
  readonly #channels = new Set<string>()
  readonly #patterns = new Set<string>()
  readonly #handlers: Handlers = { disconnected: new Set(), reconnected: new Set(), error: new Set() }
  /** Every (un)subscribe so far, settled or not: `ready()` waits for them. */
  #inflight: Promise<unknown> = Promise.resolve()
  #connected = false
  #everConnected = false
  #closing = false

  constructor(options: RedisBusAdapterOptions = {}) {
    super(options)
    this.prefix = options.prefix ?? 'hubbub:bus:'
    this.#control = `${this.prefix}control`
    const target = options.redis ?? 'redis://127.0.0.1:6379'
    this.#pub = openRedis(target, { connectionName: 'hubbub-bus' })
    this.#sub = openRedis(target, { connectionName: 'hubbub-bus-sub', autoResubscribe: false }, {}, 'queued')
    const report = (err: unknown): void => {
      for (const handler of this.#handlers.error) handler(err)
    }
    this.#pub.on('error', report)
    this.#sub.on('error', report)
    this.#sub.on('messageBuffer', (_channel: Buffer, message: Buffer) => void this.receive(message))
    this.#sub.on(
      'pmessageBuffer',
      (_pattern: Buffer, _channel: Buffer, message: Buffer) => void this.receive(message),
    )
    this.#sub.on('ready', () => void this.#onReady())
    this.#sub.on('close', () => {
      if (!this.#connected || this.#closing) return
      this.#connected = false
      for (const handler of this.#handlers.disconnected) handler()
    })
    // The first `ready` subscribes the control channel (and whatever was asked for meanwhile).
    this.#inflight = new Promise((resolve) => this.#sub.once('ready', () => setImmediate(resolve)))
  }

  /** Resolves once every subscription asked for so far is in place in Redis (or has failed). */
  async ready(): Promise<void> {
    let seen: Promise<unknown>
    do {
      seen = this.#inflight
      await seen
    } while (seen !== this.#inflight)
  }

  /** Calls `handler` when the subscriber connection drops, is back (and resubscribed), or on a connection error. */
  on(event: 'disconnected' | 'reconnected', handler: () => void): () => void
  on(event: 'error', handler: (err: unknown) => void): () => void
  on(event: RedisBusEvent, handler: (() => void) | ((err: unknown) => void)): () => void {
    const set = this.#handlers[event] as Set<typeof handler>
    set.add(handler)
    return () => set.delete(handler)
  }

  /** True while the subscriber connection is up and subscribed. */
  get connected(): boolean {
    return this.#connected
  }

  protected async doPublish(data: EncodedEnvelope, envelope: Envelope): Promise<void> {
    const channel = envelope.type === 'publish' ? `${this.prefix}t:${envelope.topic}` : this.#control
    await this.#pub.publish(channel, typeof data === 'string' ? data : Buffer.from(data))
  }

  protected async doSubscribe(pattern: string): Promise<void> {
    const sep = this.separator
    const wild = pattern.split(sep).some((segment) => segment === '*' || segment === '#')
    if (wild) {
      const glob = `${this.prefix.replace(GLOB_SPECIAL, '\\$&')}t:${toGlobPattern(pattern, sep)}`
      this.#patterns.add(glob)
      if (this.#sub.status === 'ready') await this.#track(this.#sub.psubscribe(glob))
    } else {
      const channel = `${this.prefix}t:${pattern}`
      this.#channels.add(channel)
      if (this.#sub.status === 'ready') await this.#track(this.#sub.subscribe(channel))
    }
  }

  protected async doUnsubscribe(pattern: string): Promise<void> {
    const sep = this.separator
    const wild = pattern.split(sep).some((segment) => segment === '*' || segment === '#')
    if (wild) {
      const glob = `${this.prefix.replace(GLOB_SPECIAL, '\\$&')}t:${toGlobPattern(pattern, sep)}`
      this.#patterns.delete(glob)
      // Not connected: the subscription went with the connection, and is not made again.
      if (this.#sub.status === 'ready' && !this.#closing) await this.#track(this.#sub.punsubscribe(glob))
    } else {
      const channel = `${this.prefix}t:${pattern}`
      this.#channels.delete(channel)
      if (this.#sub.status === 'ready' && !this.#closing) await this.#track(this.#sub.unsubscribe(channel))
    }
  }

  protected override async doClose(): Promise<void> {
    this.#closing = true
    try {
      if (this.#pub.status === 'ready') await this.sendControl('bye')
    } catch {
      // Redis is gone; the other nodes will forget this one by its silence.
    }
    await Promise.all([closeRedis(this.#pub), closeRedis(this.#sub)])
  }

  #track<T>(op: Promise<T>): Promise<T> {
    this.#inflight = Promise.allSettled([this.#inflight, op])
    return op
  }

  /**
   * Subscribes everything on each new connection (a new connection has no subscriptions; the
   * ones asked for while disconnected were only noted), then reports `reconnected` after the first.
   */
  async #onReady(): Promise<void> {
    if (this.#closing) return
    const first = !this.#everConnected
    this.#everConnected = true
    try {
      await this.#track(this.#sub.subscribe(this.#control, ...this.#channels))
      if (this.#patterns.size > 0) await this.#track(this.#sub.psubscribe(...this.#patterns))
    } catch (err) {
      for (const handler of this.#handlers.error) handler(err)
      return
    }
    this.#connected = true
    if (!first) for (const handler of this.#handlers.reconnected) handler()
  }
}
