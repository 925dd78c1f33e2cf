import { ActorError, ExitError, NoProcError } from './ActorError.js'
import { CallRecord } from './CallRecord.js'
import type { GenServer } from './GenServer.js'
import {
  CALL,
  CAST,
  DEAD,
  type ExitHook,
  INFO,
  type MonitorEntry,
  Process,
  RUNNING,
  SCHEDULED,
  STARTING,
  STOPPING,
  type TimerEntry,
  TRAP,
} from './Process.js'
import { Registry } from './Registry.js'
import {
  type LifecycleEvent,
  type LifecycleListener,
  nameOf,
  type SystemSnapshot,
  snapshotSystem,
} from './SystemSnapshot.js'
import { TimeoutBucket } from './TimeoutBucket.js'
import type {
  AnyGenServer,
  AnyRef,
  CallOptions,
  CrashReport,
  ExitReason,
  From,
  GenServerRef,
  MonitorRef,
  ProcessInfo,
  StartOptions,
  TimerRef,
} from './types.js'

export interface ActorSystemOptions {
  /** Sees every crash, failed init/terminate and supervisor escalation. Default: `console.error`. */
  readonly onError?: (report: CrashReport) => void
  /** Sees every process exit, normal or not, with the state the process last held (undefined if init never finished). */
  readonly onExit?: (ref: AnyRef, reason: ExitReason, lastState: unknown) => void
}

// Fairness: one process runs at most this many messages before others get a turn,
// and one microtask run yields to I/O after this many in total.
const SLICE = 512
const RUN_BUDGET = 20_000

const RESOLVED = Promise.resolve()

const isThenable = (v: any): v is PromiseLike<unknown> =>
  v !== null && (typeof v === 'object' || typeof v === 'function') && typeof v.then === 'function'

function toProc(ref: AnyRef): Process {
  if (!(ref instanceof Process)) throw new TypeError('not a GenServerRef')
  return ref
}

/**
 * Owns every process, timer, call timeout and registry of one actor world. Two systems in one
 * Node process share nothing; `shutdown()` stops everything this system started.
 */
export class ActorSystem {
  /** The unique-key registry that `start(..., {name})` uses. */
  readonly registry: Registry
  private readonly procs = new Map<number, Process>()
  private nextId = 1
  // Ready queue: slots are cleared as they are taken and indexes reset when it empties, so it never shifts.
  private readonly ready: (Process | undefined)[] = []
  private readyHead = 0
  private readyLen = 0
  private scheduled = false
  private readonly buckets = new Map<number, TimeoutBucket>()
  private lastBucket: TimeoutBucket | null = null
  private readonly onError: (report: CrashReport) => void
  private readonly onExitHook: ((ref: AnyRef, reason: ExitReason, lastState: unknown) => void) | undefined
  /** Every registry of this system, the default one first: snapshots and events name processes from them. */
  private readonly registries: Registry<any>[] = []
  private listeners: readonly LifecycleListener[] = []
  /** @internal True while someone listens: lifecycle events are only built then (the message path never looks). */
  watched = false

  constructor(options: ActorSystemOptions = {}) {
    this.onError =
      options.onError ??
      ((r) => console.error(`[@hubbub/actor] ${r.name ?? `#${r.ref.id}`} crashed in ${r.phase}:`, r.error))
    this.onExitHook = options.onExit
    this.registry = new Registry(this, { keys: 'unique' })
    this.registries.push(this.registry)
  }

  /** Live processes in this system. */
  get processCount(): number {
    return this.procs.size
  }

  /** Creates another registry owned by this system (e.g. `{keys: 'duplicate'}` for pub/sub-style groups). */
  createRegistry<Meta = unknown>(options: { keys: 'unique' | 'duplicate' }): Registry<Meta> {
    const r = new Registry<Meta>(this, options)
    this.registries.push(r)
    return r
  }

  // ---------------------------------------------------------------- start / stop

  /** Starts a GenServer; resolves once `init` has finished, rejects with `init_failed`/`init_timeout`. */
  start<A, S, C, K, R, I>(
    behaviour: GenServer<A, S, C, K, R, I>,
    args: A,
    options?: StartOptions,
  ): Promise<GenServerRef<C, K, R, I>> {
    try {
      const r = this.spawn(behaviour as AnyGenServer, args, options)
      return (r instanceof Process ? Promise.resolve(r) : r) as Promise<GenServerRef<C, K, R, I>>
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /** @internal Returns the process at once when `init` is synchronous, so supervisors restart without a tick. */
  spawn(behaviour: AnyGenServer, args: unknown, options?: StartOptions): Process | Promise<Process> {
    const name = options?.name
    if (name !== undefined) this.registry.assertFree(name)
    const p = new Process(this.nextId++, this, behaviour)
    this.procs.set(p.id, p)
    if (options !== undefined) {
      if (options.mailbox !== undefined) {
        const x = p.extras()
        x.capacity = options.mailbox.capacity
        x.overflow = options.mailbox.overflow ?? 'reject'
      }
      if (options.trapExit) p.flags |= TRAP
      if (options.link !== undefined) {
        const parent = toProc(options.link)
        p.parent = parent
        this.link(p, parent)
        if (p.flags & DEAD) throw new NoProcError('parent process')
      }
      if (name !== undefined) {
        p.extras().name = name
        this.registry.register(name, p)
      }
    }
    p.flags |= RUNNING | STARTING
    let r: unknown
    try {
      r = behaviour.init(args, p)
    } catch (err) {
      throw this.initFailed(p, err)
    }
    if (!isThenable(r)) {
      p.state = r
      p.flags &= ~(RUNNING | STARTING)
      if (this.watched) this.emitStarted(p)
      if (p.len > 0) this.schedule(p)
      return p
    }
    const initTimeout = options?.initTimeout
    return new Promise<Process>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined
      if (initTimeout !== undefined && initTimeout !== Number.POSITIVE_INFINITY) {
        timer = setTimeout(() => {
          if (p.flags & DEAD) return
          const err = new ActorError('init_timeout', `init did not finish within ${initTimeout} ms`)
          this.report(p, 'init', err)
          this.die(p, 'killed')
          reject(err)
        }, initTimeout)
      }
      r.then(
        (state) => {
          if (timer !== undefined) clearTimeout(timer)
          if (p.flags & DEAD) return reject(new ExitError(p.state))
          p.state = state
          p.flags &= ~(RUNNING | STARTING)
          if (this.watched) this.emitStarted(p)
          p.resume()
          resolve(p)
        },
        (err) => {
          if (timer !== undefined) clearTimeout(timer)
          if (p.flags & DEAD) return reject(new ExitError(p.state))
          reject(this.initFailed(p, err))
        },
      )
    })
  }

  private initFailed(p: Process, err: unknown): ActorError {
    this.report(p, 'init', err)
    this.die(p, { error: err })
    return new ActorError('init_failed', `init failed: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    })
  }

  /**
   * Stops a process gracefully: it finishes the handler it is in, runs `terminate(reason)`, then exits.
   * Queued messages are dropped (their callers get ExitError). After `timeout` ms it is killed.
   */
  stop(ref: AnyRef, reason: ExitReason = 'normal', options: { timeout?: number } = {}): Promise<void> {
    const p = toProc(ref)
    if (p.flags & DEAD) return Promise.reject(new NoProcError())
    const r = this.shutdownProcess(p, reason, options.timeout ?? Number.POSITIVE_INFINITY)
    return r === undefined ? Promise.resolve() : r
  }

  /** @internal Graceful stop with a kill deadline; undefined when the process is already gone. */
  shutdownProcess(
    p: Process,
    reason: ExitReason,
    timeout: number | 'brutal_kill',
  ): Promise<void> | undefined {
    if (p.flags & DEAD) return undefined
    if (timeout === 'brutal_kill' || timeout <= 0) {
      this.die(p, 'killed')
      return undefined
    }
    if (p.flags & RUNNING) {
      const x = p.extras()
      if (x.pendingStop === undefined) x.pendingStop = reason
    } else this.beginStop(p, reason)
    if (p.flags & DEAD) return undefined
    return new Promise<void>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined
      if (timeout !== Number.POSITIVE_INFINITY) {
        timer = setTimeout(() => this.die(p, 'killed'), timeout)
      }
      this.addHook(p, () => {
        if (timer !== undefined) clearTimeout(timer)
        resolve()
      })
    })
  }

  /** @internal Run `terminate` then exit. Callers make sure no handler is running. */
  beginStop(p: Process, reason: ExitReason): void {
    if (p.flags & (DEAD | STOPPING)) return
    p.flags |= STOPPING | RUNNING
    const t = p.behaviour.terminate
    if (t === undefined) {
      this.die(p, reason)
      return
    }
    let r: unknown
    try {
      r = t.call(p.behaviour, reason, p.state)
    } catch (err) {
      this.report(p, 'terminate', err)
      this.die(p, reason)
      return
    }
    if (!isThenable(r)) {
      this.die(p, reason)
      return
    }
    r.then(
      () => this.die(p, reason),
      (err) => {
        if ((p.flags & DEAD) === 0) this.report(p, 'terminate', err)
        this.die(p, reason)
      },
    )
  }

  /** @internal The process is gone. Fires links, monitors, hooks; cancels its timers and pending calls. */
  die(p: Process, reason: ExitReason): void {
    if (p.flags & DEAD) return
    // Named before the registries' exit hooks forget the process.
    const name = this.watched ? nameOf(p, this.registries) : undefined
    p.flags = (p.flags | DEAD) & ~RUNNING
    const lastState = p.state
    p.state = reason
    this.procs.delete(p.id)
    const buf = p.buf
    if (buf !== null && p.len > 0) {
      const mask = buf.length - 1
      for (let k = 0; k < p.len; k++) {
        const i = (p.head + 2 * k) & mask
        if (buf[i] === CALL) this.rejectCall(buf[i + 1] as CallRecord, new ExitError(reason))
      }
    }
    p.buf = null
    p.len = 0
    const x = p.x
    if (x !== null) {
      if (x.timers !== null) {
        for (const t of x.timers) clearTimeout(t.handle)
        x.timers = null
      }
      if (x.inflight !== null) {
        this.rejectCall(x.inflight, new ExitError(reason))
        x.inflight = null
      }
      if (x.deferred !== null) {
        for (const rec of x.deferred) this.rejectCall(rec, new ExitError(reason))
        x.deferred = null
      }
      if (x.monitoring !== null) {
        for (const m of x.monitoring) m.target.x?.watchers?.delete(m)
        x.monitoring = null
      }
    }
    const links = p.links
    if (links !== null) {
      p.links = null
      const why = reason === 'killed' ? 'killed' : reason
      if (links instanceof Set) {
        for (const l of links) {
          l.removeLink(p)
          this.signal(l, p, why, false)
        }
      } else {
        links.removeLink(p)
        this.signal(links, p, why, false)
      }
    }
    if (x !== null) {
      if (x.watchers !== null) {
        const watchers = x.watchers
        x.watchers = null
        for (const m of watchers) {
          m.watcher.x?.monitoring?.delete(m)
          m.watcher.enqueue(INFO, { type: 'DOWN', monitor: m, ref: p, reason }, true)
        }
      }
      if (x.hooks !== null) {
        const hooks = x.hooks
        x.hooks = null
        for (const h of hooks) h(p, reason)
      }
    }
    if (this.watched) this.emit({ type: 'exited', at: Date.now(), ref: p, pid: p.id, name, reason })
    if (this.onExitHook !== undefined) {
      try {
        this.onExitHook(p, reason, lastState)
      } catch (hookErr) {
        console.error('[@hubbub/actor] onExit hook threw:', hookErr)
      }
    }
  }

  /** Delivers an exit signal from `from` (undefined = from outside) to `p`, with Erlang's rules. */
  private signal(p: Process, from: Process | undefined, reason: ExitReason | 'kill', kill: boolean): void {
    if (p.flags & DEAD) return
    if (kill) {
      this.die(p, 'killed')
      return
    }
    if (p.flags & TRAP) {
      // A trapping process whose parent dies stops itself the OTP way (runs terminate).
      if (from !== undefined && p.parent === from) {
        if (p.flags & RUNNING) {
          const x = p.extras()
          if (x.pendingStop === undefined) x.pendingStop = reason as ExitReason
        } else this.beginStop(p, reason as ExitReason)
        return
      }
      p.enqueue(INFO, { type: 'EXIT', from, reason }, true)
      return
    }
    if (reason === 'normal') return
    this.die(p, reason as ExitReason)
  }

  /**
   * Sends an exit signal. `'kill'` is untrappable; otherwise a process trapping exits gets
   * `{type: 'EXIT'}` in `handleInfo`, others die unless the reason is `'normal'`.
   */
  exit(ref: AnyRef, reason: ExitReason | 'kill'): void {
    const p = toProc(ref)
    this.signal(p, undefined, reason, reason === 'kill')
  }

  // ---------------------------------------------------------------- messaging

  /** Fire-and-forget to `handleCast`. Returns false if the process is dead or the message was dropped. */
  cast<K>(ref: GenServerRef<any, K, any, any>, msg: K): boolean {
    const p = ref as unknown as Process
    if (p.flags & DEAD) return false
    return p.enqueue(CAST, msg)
  }

  /** Plain message to `handleInfo`. Returns false if the process is dead or the message was dropped. */
  send<I>(ref: GenServerRef<any, any, any, I>, msg: I): boolean {
    const p = ref as unknown as Process
    if (p.flags & DEAD) return false
    return p.enqueue(INFO, msg)
  }

  /** Request/response to `handleCall`. Rejects with CallTimeoutError, NoProcError, ExitError or MailboxFullError. */
  call<C, R>(ref: GenServerRef<C, any, R, any>, msg: C, options?: CallOptions): Promise<R> {
    const p = ref as unknown as Process
    if (p.flags & DEAD) return Promise.reject(new NoProcError())
    const rec = new CallRecord(p, msg)
    const timeout = options?.timeout ?? 5000
    if (timeout !== Number.POSITIVE_INFINITY) {
      let b = this.lastBucket
      if (b === null || b.ms !== timeout) b = this.lastBucket = this.buckets.get(timeout) ?? null
      if (b === null) {
        b = new TimeoutBucket(timeout, this.expireCall)
        this.buckets.set(timeout, b)
        this.lastBucket = b
      }
      b.add(rec, Date.now())
    }
    p.enqueue(CALL, rec)
    return rec.promise as Promise<R>
  }

  /** Answers a call deferred with `{noreply: true}`. Late replies (after timeout) are ignored. */
  reply<R>(from: From<R>, value: R): void {
    const rec = from as unknown as CallRecord
    rec.proc.x?.deferred?.delete(rec)
    this.settleCall(rec, value)
  }

  /** @internal */
  settleCall(rec: CallRecord, value: unknown): void {
    if (rec.settled) return
    rec.settled = true
    if (rec.bucket !== null) rec.bucket.remove(rec)
    rec.resolve(value)
  }

  /** @internal */
  rejectCall(rec: CallRecord, err: unknown): void {
    if (rec.settled) return
    rec.settled = true
    if (rec.bucket !== null) rec.bucket.remove(rec)
    rec.reject(err)
  }

  private readonly expireCall = (rec: CallRecord, err: unknown): void => {
    rec.proc.x?.deferred?.delete(rec)
    this.rejectCall(rec, err)
  }

  // ---------------------------------------------------------------- scheduling

  /** @internal Queue a runnable process; one microtask drains every ready process. */
  schedule(p: Process): void {
    p.flags |= SCHEDULED
    this.ready[this.readyLen++] = p
    if (!this.scheduled) {
      this.scheduled = true
      // A reaction on a settled promise: cheaper than queueMicrotask, which builds an AsyncResource each time.
      RESOLVED.then(this.run)
    }
  }

  private readonly run = (): void => {
    let budget = RUN_BUDGET
    const ready = this.ready
    while (this.readyHead < this.readyLen) {
      const p = ready[this.readyHead]!
      ready[this.readyHead++] = undefined
      p.flags &= ~SCHEDULED
      budget -= p.drain(SLICE)
      if (p.len > 0 && (p.flags & (RUNNING | DEAD | SCHEDULED)) === 0) this.schedule(p)
      if (budget <= 0 && this.readyHead < this.readyLen) {
        // Let I/O in: the rest of the ready queue continues on the next macrotask.
        setImmediate(this.run)
        return
      }
    }
    this.readyHead = 0
    this.readyLen = 0
    this.scheduled = false
  }

  // ---------------------------------------------------------------- links, monitors, trap_exit

  /** Links two processes: an abnormal exit of one kills the other (or reaches its handleInfo when trapping). */
  link(a: AnyRef, b: AnyRef): void {
    const pa = toProc(a)
    const pb = toProc(b)
    if (pa === pb) return
    if (pa.flags & DEAD) {
      this.signal(pb, pa, 'noproc', false)
      return
    }
    if (pb.flags & DEAD) {
      this.signal(pa, pb, 'noproc', false)
      return
    }
    pa.addLink(pb)
    pb.addLink(pa)
  }

  unlink(a: AnyRef, b: AnyRef): void {
    const pa = toProc(a)
    const pb = toProc(b)
    pa.removeLink(pb)
    pb.removeLink(pa)
  }

  /** When on, exit signals arrive as `{type: 'EXIT', from, reason}` in handleInfo instead of killing. */
  trapExit(ref: AnyRef, on = true): void {
    const p = toProc(ref)
    if (on) p.flags |= TRAP
    else p.flags &= ~TRAP
  }

  /** `watcher` gets `{type: 'DOWN', monitor, ref, reason}` in handleInfo when `target` exits (`'noproc'` if already dead). */
  monitor(watcher: AnyRef, target: AnyRef): MonitorRef {
    const w = toProc(watcher)
    const t = toProc(target)
    const m: MonitorEntry = { id: this.nextId++, watcher: w, target: t }
    if (t.flags & DEAD) {
      w.enqueue(INFO, { type: 'DOWN', monitor: m, ref: t, reason: 'noproc' }, true)
      return m
    }
    const xt = t.extras()
    const xw = w.extras()
    if (xt.watchers === null) xt.watchers = new Set()
    if (xw.monitoring === null) xw.monitoring = new Set()
    xt.watchers.add(m)
    xw.monitoring.add(m)
    return m
  }

  /** Removes a monitor; returns false when it had already fired or been removed. */
  demonitor(monitor: MonitorRef): boolean {
    const m = monitor as MonitorEntry
    const had = m.target.x?.watchers?.delete(m) ?? false
    m.watcher.x?.monitoring?.delete(m)
    return had
  }

  /** Resolves with the exit reason once the process has exited (at once if already dead). */
  whenExited(ref: AnyRef): Promise<ExitReason> {
    const p = toProc(ref)
    if (p.flags & DEAD) return Promise.resolve(p.state as ExitReason)
    return new Promise((resolve) => this.addHook(p, (_, reason) => resolve(reason)))
  }

  /** @internal Run `hook` when `p` exits. */
  addHook(p: Process, hook: ExitHook): void {
    const x = p.extras()
    if (x.hooks === null) x.hooks = [hook]
    else x.hooks.push(hook)
  }

  // ---------------------------------------------------------------- timers

  /** Delivers `msg` to handleInfo after `ms`; cancelled automatically if the target exits first. */
  sendAfter<I>(ref: GenServerRef<any, any, any, I>, msg: I, ms: number): TimerRef {
    const p = toProc(ref)
    const t: TimerEntry = { id: this.nextId++, target: p, handle: undefined }
    if (p.flags & DEAD) return t
    const x = p.extras()
    if (x.timers === null) x.timers = new Set()
    x.timers.add(t)
    t.handle = setTimeout(() => {
      p.x?.timers?.delete(t)
      if (p.flags & DEAD) return
      try {
        p.enqueue(INFO, msg)
      } catch {
        // A full 'reject' mailbox: the drop is already counted, and a timer has no sender to tell.
      }
    }, ms)
    return t
  }

  /** Cancels a pending sendAfter; returns false if it already fired or was cancelled. */
  cancelTimer(timer: TimerRef): boolean {
    const t = timer as TimerEntry
    const had = t.target.x?.timers?.delete(t) ?? false
    if (had) clearTimeout(t.handle)
    return had
  }

  // ---------------------------------------------------------------- introspection

  isAlive(ref: AnyRef): boolean {
    return (toProc(ref).flags & DEAD) === 0
  }

  /** A snapshot for debugging and metrics; undefined when the process is dead. */
  processInfo(ref: AnyRef): ProcessInfo | undefined {
    const p = toProc(ref)
    if (p.flags & DEAD) return undefined
    const x = p.x
    return {
      id: p.id,
      name: x?.name,
      mailboxLength: p.len,
      dropped: x?.dropped ?? 0,
      trapExit: (p.flags & TRAP) !== 0,
      links: p.linkCount,
      monitors: x?.watchers?.size ?? 0,
      timers: x?.timers?.size ?? 0,
    }
  }

  /**
   * The supervision tree as it is now: each supervisor with its strategy, restart counts, intensity
   * window and children; each process with its status and mailbox depth. Costs nothing until called.
   */
  snapshot(): SystemSnapshot {
    return snapshotSystem(this.procs, this.registries)
  }

  /**
   * Calls `listener` with every lifecycle event (`started`, `exited`, `restarted`, `escalated`) until
   * the returned function is called. Listeners run synchronously where the event happens and must not
   * throw (a throw is logged). While nobody listens, no event is built.
   */
  onLifecycle(listener: LifecycleListener): () => void {
    this.listeners = [...this.listeners, listener]
    this.watched = true
    let subscribed = true
    return () => {
      if (!subscribed) return
      subscribed = false
      const i = this.listeners.indexOf(listener)
      if (i >= 0) this.listeners = [...this.listeners.slice(0, i), ...this.listeners.slice(i + 1)]
      this.watched = this.listeners.length > 0
    }
  }

  /** @internal Delivers one event; callers check `watched` first so no event is built for nobody. */
  emit(event: LifecycleEvent): void {
    // The array is replaced, never mutated, so a listener that unsubscribes mid-delivery is safe.
    for (const l of this.listeners) {
      try {
        l(event)
      } catch (err) {
        console.error('[@hubbub/actor] lifecycle listener threw:', err)
      }
    }
  }

  /** @internal A process's display name (system name, else a unique-registry key). */
  nameOf(p: Process): string | undefined {
    return nameOf(p, this.registries)
  }

  private emitStarted(p: Process): void {
    const parent = p.parent
    this.emit({
      type: 'started',
      at: Date.now(),
      ref: p,
      pid: p.id,
      name: nameOf(p, this.registries),
      parent: parent === null ? undefined : parent.id,
    })
  }

  /** @internal Route a failure to the onError hook; a throwing hook must not take the system down. */
  report(p: Process, phase: CrashReport['phase'], error: unknown): void {
    try {
      this.onError({ ref: p, name: p.name, phase, error })
    } catch (hookErr) {
      console.error('[@hubbub/actor] onError hook threw:', hookErr)
    }
  }

  /** Stops every live process, oldest first: a root supervisor stops its own children in reverse order. */
  async shutdown(options: { timeout?: number } = {}): Promise<void> {
    const timeout = options.timeout ?? 5000
    const all = [...this.procs.values()]
    for (const p of all) {
      if (p.flags & DEAD) continue
      await this.shutdownProcess(p, 'shutdown', timeout)
    }
    for (const b of this.buckets.values()) b.clear()
    this.buckets.clear()
    this.lastBucket = null
  }
}
