import { ActorError, ExitError, MailboxFullError } from './ActorError.js'
import type { ActorSystem } from './ActorSystem.js'
import type { CallRecord } from './CallRecord.js'
import type { AnyGenServer, ExitReason, OverflowPolicy } from './types.js'

// Message tags stored next to each payload in the ring buffer, so a cast allocates no envelope.
export const CAST = 0
export const CALL = 1
export const INFO = 2

/** Rings up to this many slots (32 messages) are released when drained empty. */
const RELEASE_RING_UP_TO = 64

// Process flags (one small integer instead of several booleans keeps idle processes small).
export const SCHEDULED = 1
export const RUNNING = 2 // inside a handler (sync or awaiting an async one), or init, or terminate
export const DEAD = 4
export const TRAP = 8
export const STOPPING = 16
export const STARTING = 32 // in init (introspection tells it apart from a handler)

export type ExitHook = (proc: Process, reason: ExitReason) => void

export interface MonitorEntry {
  readonly id: number
  readonly watcher: Process
  readonly target: Process
}

export interface TimerEntry {
  readonly id: number
  readonly target: Process
  handle: ReturnType<typeof setTimeout> | undefined
}

/** Rarely used per-process data, allocated on first use so an idle GenServer stays small. */
export class Extras {
  name: string | undefined = undefined
  /** A display name that is not registered (a supervisor's `spec.name`): snapshots and events fall back to it. */
  label: string | undefined = undefined
  watchers: Set<MonitorEntry> | null = null
  monitoring: Set<MonitorEntry> | null = null
  timers: Set<TimerEntry> | null = null
  deferred: Set<CallRecord> | null = null
  hooks: ExitHook[] | null = null
  pendingStop: ExitReason | undefined = undefined
  capacity = Number.POSITIVE_INFINITY
  overflow: OverflowPolicy = 'reject'
  dropped = 0
  /** The call an async handleCall is working on, so a kill mid-handler still answers its caller. */
  inflight: CallRecord | null = null
}

/**
 * One GenServer process. It is also the runtime value behind every `GenServerRef`.
 * The mailbox is a power-of-two ring of (tag, payload) slot pairs: O(1) enqueue and dequeue.
 */
export class Process {
  /** After death this holds the exit reason instead of the state. */
  state: unknown = undefined
  flags = 0
  buf: unknown[] | null = null
  head = 0
  len = 0
  /** Linked processes: one link (a supervised child's only one) is held as is; a Set only from the second. */
  links: Process | Set<Process> | null = null
  /** The process that started this one linked (its supervisor), if any. */
  parent: Process | null = null
  x: Extras | null = null

  constructor(
    readonly id: number,
    readonly system: ActorSystem,
    public behaviour: AnyGenServer,
  ) {}

  extras(): Extras {
    let x = this.x
    if (x === null) x = this.x = new Extras()
    return x
  }

  addLink(q: Process): void {
    const l = this.links
    if (l === null) this.links = q
    else if (l instanceof Set) l.add(q)
    else if (l !== q) this.links = new Set([l, q])
  }

  removeLink(q: Process): void {
    const l = this.links
    if (l === q) this.links = null
    else if (l instanceof Set) {
      l.delete(q)
      if (l.size === 0) this.links = null
    }
  }

  get linkCount(): number {
    const l = this.links
    return l === null ? 0 : l instanceof Set ? l.size : 1
  }

  get name(): string | undefined {
    return this.x === null ? undefined : this.x.name
  }

  /** Enqueue a message; returns false when it was dropped. Throws MailboxFullError under 'reject'. */
  enqueue(tag: number, payload: unknown, bypassBound = false): boolean {
    const x = this.x
    if (x !== null && this.len >= x.capacity && !bypassBound) {
      if (!this.overflow(x, tag, payload)) return false
    }
    let buf = this.buf
    if (buf === null) buf = this.buf = new Array(8)
    else if (this.len << 1 === buf.length) buf = this.grow(buf)
    const i = (this.head + (this.len << 1)) & (buf.length - 1)
    buf[i] = tag
    buf[i + 1] = payload
    this.len++
    if ((this.flags & (SCHEDULED | RUNNING | DEAD)) === 0) this.system.schedule(this)
    return true
  }

  private overflow(x: Extras, tag: number, payload: unknown): boolean {
    x.dropped++
    if (x.overflow === 'drop-oldest') {
      const buf = this.buf!
      const oldTag = buf[this.head]
      const old = buf[this.head + 1]
      buf[this.head] = undefined
      buf[this.head + 1] = undefined
      this.head = (this.head + 2) & (buf.length - 1)
      this.len--
      if (oldTag === CALL) this.system.rejectCall(old as CallRecord, new MailboxFullError(x.capacity))
      return true
    }
    const err = new MailboxFullError(x.capacity)
    if (tag === CALL) {
      this.system.rejectCall(payload as CallRecord, err)
      return false
    }
    if (x.overflow === 'reject') throw err
    return false
  }

  private grow(buf: unknown[]): unknown[] {
    const n = buf.length
    const next = new Array(n * 2)
    const mask = n - 1
    for (let k = 0; k < n; k++) next[k] = buf[(this.head + k) & mask]
    this.head = 0
    this.buf = next
    return next
  }

  /** Runs up to `max` queued messages; returns how many ran. */
  drain(max: number): number {
    let n = 0
    while (this.len > 0 && (this.flags & (RUNNING | DEAD)) === 0 && n < max) {
      const buf = this.buf!
      const h = this.head
      const tag = buf[h] as number
      const payload = buf[h + 1]
      buf[h] = undefined
      buf[h + 1] = undefined
      this.head = (h + 2) & (buf.length - 1)
      this.len--
      n++
      this.handle(tag, payload)
    }
    // An idle process keeps no small ring: most processes (connections) sit idle between rare messages.
    // A ring grown by a burst is kept, so a process that takes bursts does not regrow it each time.
    if (
      this.len === 0 &&
      this.buf !== null &&
      this.buf.length <= RELEASE_RING_UP_TO &&
      (this.flags & DEAD) === 0
    ) {
      this.buf = null
      this.head = 0
    }
    return n
  }

  private handle(tag: number, payload: unknown): void {
    const b = this.behaviour
    this.flags |= RUNNING
    let r: any
    try {
      if (tag === CAST) {
        if (b.handleCast === undefined) throw new ActorError('no_handler', 'behaviour has no handleCast')
        r = b.handleCast(payload, this.state, this)
      } else if (tag === CALL) {
        const rec = payload as CallRecord
        if (b.handleCall === undefined) throw new ActorError('no_handler', 'behaviour has no handleCall')
        r = b.handleCall(rec.msg, rec as never, this.state, this)
      } else {
        if (b.handleInfo === undefined) {
          this.flags &= ~RUNNING
          return
        }
        r = b.handleInfo(payload as never, this.state, this)
      }
    } catch (err) {
      this.flags &= ~RUNNING
      this.failed(tag, payload, err)
      return
    }
    if (r !== null && typeof r === 'object' && typeof r.then === 'function') {
      // Only a thenable result pays for promise machinery; the process stays RUNNING until it settles.
      if (tag === CALL) this.extras().inflight = payload as CallRecord
      ;(r as PromiseLike<unknown>).then(
        (v) => {
          if (!this.settled(tag, payload)) return
          this.complete(tag, payload, v)
          this.resume()
        },
        (err) => {
          if (this.settled(tag, payload)) this.failed(tag, payload, err)
        },
      )
      return
    }
    this.flags &= ~RUNNING
    if (this.flags & DEAD) {
      this.lateResult(tag, payload)
      return
    }
    this.complete(tag, payload, r)
    const x = this.x
    if (x !== null && x.pendingStop !== undefined && (this.flags & DEAD) === 0)
      this.system.beginStop(this, x.pendingStop)
  }

  /**
   * An async handler's result has arrived: clears the in-flight call and the RUNNING flag.
   * False when the process was killed meanwhile (the caller has then been told).
   */
  private settled(tag: number, payload: unknown): boolean {
    if (tag === CALL) this.x!.inflight = null
    if (this.flags & DEAD) {
      this.lateResult(tag, payload)
      return false
    }
    this.flags &= ~RUNNING
    return true
  }

  /** The process was killed while its handler ran: the caller must still hear about it. */
  private lateResult(tag: number, payload: unknown): void {
    if (tag === CALL) this.system.rejectCall(payload as CallRecord, new ExitError(this.state))
  }

  /** After an async handler settles: honour a pending stop, or keep draining. */
  resume(): void {
    if (this.flags & DEAD) return
    const x = this.x
    if (x !== null && x.pendingStop !== undefined) this.system.beginStop(this, x.pendingStop)
    else if (this.len > 0 && (this.flags & SCHEDULED) === 0) this.system.schedule(this)
  }

  private complete(tag: number, payload: unknown, r: any): void {
    if (tag !== CALL) {
      this.state = r
      return
    }
    const rec = payload as CallRecord
    if (r === null || typeof r !== 'object') {
      this.failed(
        tag,
        payload,
        new ActorError(
          'bad_return',
          'handleCall must return {reply, state}, {noreply, state} or {stop, state}',
        ),
      )
      return
    }
    this.state = r.state
    if (r.noreply === true) {
      if (!rec.settled) {
        const x = this.extras()
        if (x.deferred === null) x.deferred = new Set()
        x.deferred.add(rec)
      }
    } else if (r.stop !== undefined) {
      if ('reply' in r) this.system.settleCall(rec, r.reply)
      this.extras().pendingStop = r.stop
    } else {
      this.system.settleCall(rec, r.reply)
    }
  }

  private failed(tag: number, payload: unknown, err: unknown): void {
    const reason = { error: err }
    if (tag === CALL) this.system.rejectCall(payload as CallRecord, new ExitError(reason))
    this.system.report(this, tag === CALL ? 'handleCall' : tag === CAST ? 'handleCast' : 'handleInfo', err)
    this.system.beginStop(this, reason)
  }
}
