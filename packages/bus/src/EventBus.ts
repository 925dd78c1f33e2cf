import type { BusAdapter, BusAdapterHost } from './BusAdapter.js'
import { BusError } from './BusError.js'
import { LocalAdapter } from './LocalAdapter.js'
import { SubscriptionList } from './SubscriptionList.js'
import { TopicTrie } from './TopicTrie.js'

/** Receives each matching message; a returned promise that rejects is reported like a throw. */
export type Handler<T> = (message: T, topic: string, subscription: Subscription) => void | Promise<void>

/** Where handler (and adapter) errors go; `subscription` is undefined for adapter errors. */
export type ErrorHook = (err: unknown, topic: string, subscription: Subscription | undefined) => void

export interface Subscription {
  /** Increases with every subscribe on a bus; delivery runs in this order. */
  readonly id: number
  readonly pattern: string
  /** False once `unsubscribe()` ran (or the bus closed). */
  readonly active: boolean
  /** Synchronous and idempotent. A publish already under way still delivers to it. */
  unsubscribe(): void
}

export interface EventBusOptions {
  /** Joins topic segments; default `.`. Any non-empty string without `*` or `#` (`:` works). */
  separator?: string
  /** Default: logs the first error of each topic once to `console.error`. */
  onError?: ErrorHook
  /** Cross-node delivery; default a `LocalAdapter` (single node). */
  adapter?: BusAdapter
}

class BusSubscription<T> implements Subscription {
  active = true

  constructor(
    readonly id: number,
    readonly pattern: string,
    readonly handler: Handler<T>,
    readonly list: SubscriptionList<BusSubscription<T>>,
    private readonly bus: EventBus<T>,
  ) {}

  unsubscribe(): void {
    if (!this.active) return
    this.active = false
    // biome-ignore lint/complexity/useLiteralKeys: reaching the bus-private remover without widening the public API
    this.bus['remove'](this)
  }
}

type Sub<T> = BusSubscription<T>

const LOGGED_TOPICS_CAP = 1000

function hasWildcardChar(s: string): boolean {
  return s.includes('*') || s.includes('#')
}

/** Merges lists already sorted by id; k is tiny (one per matching trie branch). */
function mergeById<T>(lists: readonly (readonly Sub<T>[])[]): readonly Sub<T>[] {
  let merged = lists[0]!
  for (let k = 1; k < lists.length; k++) {
    const other = lists[k]!
    const out: Sub<T>[] = new Array(merged.length + other.length)
    let i = 0
    let j = 0
    let n = 0
    while (i < merged.length && j < other.length) {
      out[n++] = merged[i]!.id < other[j]!.id ? merged[i++]! : other[j++]!
    }
    while (i < merged.length) out[n++] = merged[i++]!
    while (j < other.length) out[n++] = other[j++]!
    merged = out
  }
  return merged
}

/**
 * Topic pub/sub whose publish cost does not grow with the number of subscriptions:
 * exact topics are one Map lookup, wildcard patterns live in a segment trie. Payloads
 * are passed by reference on the local path; only the adapter ever encodes them.
 */
export class EventBus<T = unknown> {
  readonly separator: string
  readonly adapter: BusAdapter
  private readonly exact = new Map<string, SubscriptionList<Sub<T>>>()
  private readonly patterns = new Map<string, SubscriptionList<Sub<T>>>()
  private readonly trie = new TopicTrie<Sub<T>>()
  private readonly onError: ErrorHook
  private readonly distributed: boolean
  /** Reused by the trie walk only; no user code runs while it is filled. */
  private readonly scratch: SubscriptionList<Sub<T>>[] = []
  private nextId = 1
  private count = 0
  private closed = false

  constructor(options: EventBusOptions = {}) {
    const separator = options.separator ?? '.'
    if (typeof separator !== 'string' || separator === '' || hasWildcardChar(separator)) {
      throw new BusError('INVALID_OPTIONS', 'separator must be a non-empty string without * or #')
    }
    this.separator = separator
    this.onError = options.onError ?? defaultErrorHook()
    this.adapter = options.adapter ?? new LocalAdapter()
    this.distributed = this.adapter.distributed
    const host: BusAdapterHost = {
      separator,
      deliver: (topic, payload) => (this.closed ? 0 : this.deliver(topic, payload as T)),
      reportError: (err, topic) => this.report(err, topic, undefined),
    }
    this.adapter.attach(host)
  }

  /** Total number of active subscriptions. */
  get size(): number {
    return this.count
  }

  /**
   * Calls `handler` for every later publish whose topic matches `pattern`. Two
   * subscriptions whose patterns both match a topic each receive the message once.
   */
  subscribe(pattern: string, handler: Handler<T>): Subscription {
    if (this.closed) throw new BusError('CLOSED', 'the bus is closed')
    if (typeof handler !== 'function') throw new BusError('INVALID_HANDLER', 'handler must be a function')
    const segments = this.parsePattern(pattern)
    const index = segments === undefined ? this.exact : this.patterns
    let list = index.get(pattern)
    const first = list === undefined
    if (list === undefined) {
      list = new SubscriptionList()
      index.set(pattern, list)
      if (segments !== undefined) this.trie.insert(segments, list)
    }
    const sub = new BusSubscription<T>(this.nextId++, pattern, handler, list, this)
    list.add(sub)
    this.count++
    if (first && this.distributed) this.callAdapter(() => this.adapter.subscribe(pattern), pattern)
    return sub
  }

  /**
   * Delivers `message` synchronously to every matching subscription, in subscription
   * order, then (for a distributed adapter) it has already been handed to the adapter.
   * Returns the number of local deliveries.
   */
  publish(topic: string, message: T): number {
    this.checkTopic(topic)
    // Adapter first: a handler that publishes again cannot overtake this message on the wire.
    if (this.distributed) this.callAdapter(() => this.adapter.publish(topic, message), topic)
    return this.deliver(topic, message)
  }

  /** Like `publish`, but waits for the adapter and rejects with its error instead of reporting it. */
  async publishAsync(topic: string, message: T): Promise<number> {
    this.checkTopic(topic)
    const sent = this.distributed ? this.adapter.publish(topic, message) : undefined
    const delivered = this.deliver(topic, message)
    await sent
    return delivered
  }

  /** True when a publish to `topic` would reach at least one local subscription. */
  hasSubscribers(topic: string): boolean {
    if (this.exact.has(topic)) return true
    return this.patterns.size > 0 && this.trie.matches(topic, this.separator)
  }

  /** How many local subscriptions a publish to `topic` would reach. */
  matchCount(topic: string): number {
    let n = this.exact.get(topic)?.size ?? 0
    if (this.patterns.size > 0) {
      const lists = this.collect(topic)
      for (const list of lists) n += list.size
      lists.length = 0
    }
    return n
  }

  /** Every subscribed topic and pattern (each once), exact topics first. */
  topics(): string[] {
    return [...this.exact.keys(), ...this.patterns.keys()]
  }

  /** Subscriptions on exactly this topic or pattern string, or all of them without an argument. */
  subscriptionCount(pattern?: string): number {
    if (pattern === undefined) return this.count
    return (this.exact.get(pattern) ?? this.patterns.get(pattern))?.size ?? 0
  }

  /** Drops every subscription and closes the adapter; later subscribes and publishes throw `CLOSED`. */
  async close(): Promise<void> {
    if (this.closed) return
    for (const index of [this.exact, this.patterns]) {
      for (const list of index.values()) for (const sub of list.snapshot()) sub.unsubscribe()
    }
    this.closed = true
    await this.adapter.close()
  }

  private deliver(topic: string, message: T): number {
    const exact = this.exact.get(topic)
    let subs: readonly Sub<T>[]
    if (this.patterns.size === 0) {
      if (exact === undefined) return 0
      subs = exact.snapshot()
    } else {
      const lists = this.collect(topic)
      if (exact !== undefined) lists.push(exact)
      if (lists.length === 0) return 0
      if (lists.length === 1) subs = lists[0]!.snapshot()
      else subs = mergeById(lists.map((list) => list.snapshot()))
      lists.length = 0
    }
    for (let i = 0; i < subs.length; i++) {
      const sub = subs[i]!
      try {
        const result = sub.handler(message, topic, sub)
        if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
          ;(result as Promise<void>).then(undefined, (err: unknown) => this.report(err, topic, sub))
        }
      } catch (err) {
        this.report(err, topic, sub)
      }
    }
    return subs.length
  }

  private collect(topic: string): SubscriptionList<Sub<T>>[] {
    const lists = this.scratch
    lists.length = 0
    this.trie.collect(topic, this.separator, lists)
    return lists
  }

  private remove(sub: Sub<T>): void {
    const list = sub.list
    if (!list.remove(sub)) return
    this.count--
    if (list.size > 0) return
    const pattern = sub.pattern
    if (this.exact.get(pattern) === list) this.exact.delete(pattern)
    else if (this.patterns.get(pattern) === list) {
      this.patterns.delete(pattern)
      this.trie.remove(pattern.split(this.separator))
    }
    if (this.distributed && !this.closed) this.callAdapter(() => this.adapter.unsubscribe(pattern), pattern)
  }

  /** Returns the segments of a wildcard pattern, or undefined for an exact topic. */
  private parsePattern(pattern: string): string[] | undefined {
    if (typeof pattern !== 'string' || pattern === '') {
      throw new BusError('INVALID_PATTERN', 'a pattern must be a non-empty string')
    }
    if (!hasWildcardChar(pattern)) return undefined
    const segments = pattern.split(this.separator)
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i]!
      if (segment === '*' || (segment === '#' && i === segments.length - 1)) continue
      if (segment === '#')
        throw new BusError('INVALID_PATTERN', `'#' may only be the last segment: ${pattern}`)
      if (hasWildcardChar(segment)) {
        throw new BusError('INVALID_PATTERN', `'*' and '#' must be a whole segment: ${pattern}`)
      }
    }
    return segments
  }

  private checkTopic(topic: string): void {
    if (this.closed) throw new BusError('CLOSED', 'the bus is closed')
    if (typeof topic !== 'string' || topic === '' || hasWildcardChar(topic)) {
      throw new BusError(
        'INVALID_TOPIC',
        `a topic must be a non-empty string without * or #: ${String(topic)}`,
      )
    }
  }

  /** Adapter calls never throw into publish/subscribe: sync throws and rejections go to onError. */
  private callAdapter(call: () => void | Promise<void>, topic: string): void {
    try {
      const result = call()
      if (result !== undefined) result.then(undefined, (err: unknown) => this.report(err, topic, undefined))
    } catch (err) {
      this.report(err, topic, undefined)
    }
  }

  private report(err: unknown, topic: string, sub: Subscription | undefined): void {
    try {
      this.onError(err, topic, sub)
    } catch (hookErr) {
      // A throwing hook must not break delivery to the remaining handlers.
      console.error('[@hubbub/bus] onError threw', hookErr)
    }
  }
}

/** Logs the first error per topic; a bus-local set, capped so a flood of topics cannot grow it forever. */
function defaultErrorHook(): ErrorHook {
  const logged = new Set<string>()
  let capped = false
  return (err, topic, sub) => {
    if (logged.has(topic)) return
    if (logged.size >= LOGGED_TOPICS_CAP) {
      if (!capped)
        console.error('[@hubbub/bus] errors on further topics are not logged; pass onError to see them')
      capped = true
      return
    }
    logged.add(topic)
    const who = sub === undefined ? 'the adapter' : `the handler of '${sub.pattern}'`
    console.error(`[@hubbub/bus] ${who} failed on topic '${topic}' (logged once per topic):`, err)
  }
}
