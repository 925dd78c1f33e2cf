import { ActorError, MaxRestartsExceededError } from './ActorError.js'
import type { ActorSystem } from './ActorSystem.js'
import type { GenServer } from './GenServer.js'
import { DEAD, Process, TRAP } from './Process.js'
import type { ChildSnapshot, ProcessSnapshot, SupervisorSnapshot } from './SystemSnapshot.js'
import type { AnyRef, ExitReason, GenServerRef, StartOptions, SystemMessage } from './types.js'

export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one' | 'simple_one_for_one'
/** `permanent`: always restarted; `transient`: only after an abnormal exit; `temporary`: never. */
export type RestartType = 'permanent' | 'transient' | 'temporary'
/** Milliseconds to wait for `terminate` before killing, `'brutal_kill'` at once, or `'infinity'`. */
export type Shutdown = number | 'brutal_kill' | 'infinity'

export interface ChildSpec<A = any> {
  readonly id: string
  readonly behaviour: GenServer<A, any, any, any, any, any>
  readonly args: A
  /** Start options, or a function of the args (e.g. a per-room registry name for simple_one_for_one children). */
  readonly options?: ChildStartOptions | ((args: A) => ChildStartOptions)
  /** Default `permanent`. */
  readonly restart?: RestartType
  /** Default 5000 ms for workers, `'infinity'` for supervisors. */
  readonly shutdown?: Shutdown
}

export type ChildStartOptions = Omit<StartOptions, 'link' | 'trapExit'>

/** The child of a `simple_one_for_one` supervisor; `startChild(sup, args)` supplies the args. */
export type ChildTemplate<A = any> = Omit<ChildSpec<A>, 'id' | 'args'>

export interface Intensity {
  readonly maxRestarts: number
  readonly withinMs: number
}

export type SupervisorSpec = (
  | {
      readonly strategy: 'one_for_one' | 'one_for_all' | 'rest_for_one'
      readonly children: readonly ChildSpec[]
      /** Default 3 restarts within 5000 ms. */
      readonly intensity?: Intensity
    }
  | { readonly strategy: 'simple_one_for_one'; readonly child: ChildTemplate; readonly intensity?: Intensity }
) & {
  /**
   * The supervisor's name in `system.snapshot()` and lifecycle events when it has no registry name.
   * It is not registered, so it need not be unique (two servers on one system may both say `rooms`).
   * `Supervisor.childSpec` defaults it to the child id.
   */
  readonly name?: string
}

export interface ChildInfo {
  readonly id: string
  /** Undefined while the child is not running. */
  readonly ref: AnyRef | undefined
  readonly type: 'worker' | 'supervisor'
  readonly restart: RestartType
}

export interface ChildCounts {
  readonly specs: number
  readonly active: number
  readonly supervisors: number
  readonly workers: number
}

type Op =
  | { readonly op: 'start'; readonly spec?: ChildSpec; readonly args?: unknown }
  | { readonly op: 'terminate'; readonly child: string | AnyRef }
  | { readonly op: 'restart'; readonly id: string }
  | { readonly op: 'delete'; readonly id: string }
  | { readonly op: 'which' }
  | { readonly op: 'count' }
type OpResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown }

export type SupervisorRef = GenServerRef<Op, never, OpResult, never>

/** A child of a static supervisor (a `simple_one_for_one` child only while it is being restarted). */
class Child {
  /** Times this child was started again by the supervisor. */
  restarts = 0
  constructor(
    readonly id: string,
    readonly spec: ChildSpec,
    readonly args: unknown,
    public proc: Process | null,
  ) {}
}

class SupervisorState {
  readonly children: Child[] = []
  readonly byProc = new Map<Process, Child>()
  /**
   * `simple_one_for_one` only (instead of children/byProc): running child → its args. The children
   * share the template, so each costs one map entry, not a spec copy and a Child; its id is its process id.
   */
  readonly simple = new Map<Process, unknown>()
  /** `simple_one_for_one` only: restart counts of children restarted at least once (most never are). */
  readonly simpleRestarts = new Map<Process, number>()
  /** Times of the restarts within the intensity window. */
  readonly restarts: number[] = []
  /** Restarts counted against the intensity since the start. */
  restartCount = 0
  readonly intensity: Intensity
  /** The `simple_one_for_one` template as a spec (null for the other strategies). */
  readonly template: ChildSpec | null
  constructor(
    readonly spec: SupervisorSpec,
    readonly self: Process,
  ) {
    this.intensity = spec.intensity ?? { maxRestarts: 3, withinMs: 5000 }
    this.template = spec.strategy === 'simple_one_for_one' ? { ...spec.child, id: '', args: undefined } : null
  }
  get system(): ActorSystem {
    return this.self.system
  }
}

const isSupervisor = (spec: ChildSpec): boolean => spec.behaviour === supervisorBehaviour
const restartOf = (spec: ChildSpec): RestartType => spec.restart ?? 'permanent'

function shutdownOf(spec: ChildSpec): number | 'brutal_kill' {
  const s = spec.shutdown ?? (isSupervisor(spec) ? 'infinity' : 5000)
  return s === 'infinity' ? Number.POSITIVE_INFINITY : s
}

function isNormal(reason: ExitReason): boolean {
  return reason === 'normal' || reason === 'shutdown' || (typeof reason === 'object' && 'shutdown' in reason)
}

/** Starts a child linked to the supervisor; synchronous when the child's init is. */
async function launch(st: SupervisorState, child: Child): Promise<Process> {
  const { behaviour, options } = child.spec
  const args = child.args
  const base = typeof options === 'function' ? options(args) : options
  const r = st.system.spawn(behaviour, args, { ...base, link: st.self })
  const p = r instanceof Process ? r : await r
  if (st.template !== null) st.simple.set(p, args)
  else {
    child.proc = p
    st.byProc.set(p, child)
  }
  return p
}

/** Stops a `simple_one_for_one` child (its EXIT is then ignored). */
async function haltSimple(st: SupervisorState, p: Process): Promise<void> {
  if (!st.simple.delete(p)) return
  st.simpleRestarts.delete(p)
  await st.system.shutdownProcess(p, 'shutdown', shutdownOf(st.template!))
}

/** Stops a child (its EXIT is then ignored, since it is no longer in byProc). */
async function halt(st: SupervisorState, child: Child): Promise<void> {
  const p = child.proc
  if (p === null) return
  child.proc = null
  st.byProc.delete(p)
  await st.system.shutdownProcess(p, 'shutdown', shutdownOf(child.spec))
}

function remove(st: SupervisorState, child: Child): void {
  const i = st.children.indexOf(child)
  if (i >= 0) st.children.splice(i, 1)
}

/** Records one restart; false when that exceeds the intensity. */
function allowRestart(st: SupervisorState): boolean {
  const now = performance.now()
  const { maxRestarts, withinMs } = st.intensity
  st.restartCount++
  st.restarts.push(now)
  while (st.restarts.length > 0 && st.restarts[0]! <= now - withinMs) st.restarts.shift()
  return st.restarts.length <= maxRestarts
}

/** Counts a child's restart and tells lifecycle listeners. */
function restarted(st: SupervisorState, child: Child, p: Process): void {
  child.restarts++
  if (st.template !== null) st.simpleRestarts.set(p, child.restarts)
  const system = st.system
  if (!system.watched) return
  system.emit({
    type: 'restarted',
    at: Date.now(),
    ref: p,
    pid: p.id,
    name: system.nameOf(p),
    supervisor: st.self,
    childId: st.template !== null ? String(p.id) : child.id,
    restarts: child.restarts,
  })
}

async function restartAfter(st: SupervisorState, failed: Child): Promise<void> {
  for (;;) {
    if (!allowRestart(st)) {
      const { maxRestarts, withinMs } = st.intensity
      const err = new MaxRestartsExceededError(maxRestarts, withinMs)
      st.system.report(st.self, 'supervisor', err)
      const system = st.system
      if (system.watched) {
        const self = st.self
        const name = system.nameOf(self)
        system.emit({
          type: 'escalated',
          at: Date.now(),
          ref: self,
          pid: self.id,
          name,
          maxRestarts,
          withinMs,
        })
      }
      // Exit after this handler: terminate() stops the children in reverse order, then the parent sees the EXIT.
      st.self.extras().pendingStop = { error: err }
      return
    }
    try {
      const strategy = st.spec.strategy
      if (strategy === 'one_for_one' || strategy === 'simple_one_for_one') {
        if (failed.proc === null) restarted(st, failed, await launch(st, failed))
      } else {
        const from = strategy === 'one_for_all' ? 0 : st.children.indexOf(failed)
        const affected = st.children.slice(from)
        for (let i = affected.length - 1; i >= 0; i--) {
          const c = affected[i]!
          if (c === failed) continue
          const wasRunning = c.proc !== null
          await halt(st, c)
          if (wasRunning && restartOf(c.spec) === 'temporary') remove(st, c)
        }
        for (const c of st.children.slice(from)) {
          if (c.proc === null && (c === failed || restartOf(c.spec) !== 'temporary'))
            restarted(st, c, await launch(st, c))
        }
      }
      return
    } catch (err) {
      // A child that cannot restart counts as another restart; enough of them escalate.
      st.system.report(st.self, 'supervisor', err)
    }
  }
}

/** @internal The supervisor part of a process snapshot; undefined for other processes (or during init). */
export function describeSupervisor(
  p: Process,
  describe: (p: Process) => ProcessSnapshot,
): SupervisorSnapshot | undefined {
  if (p.behaviour !== supervisorBehaviour) return undefined
  const st = p.state
  if (!(st instanceof SupervisorState)) return undefined
  const { maxRestarts, withinMs } = st.intensity
  const since = performance.now() - withinMs
  let recent = 0
  for (const t of st.restarts) if (t > since) recent++
  let children: ChildSnapshot[]
  if (st.template !== null) {
    const t = st.template
    const type = isSupervisor(t) ? 'supervisor' : 'worker'
    const restart = restartOf(t)
    children = []
    for (const c of st.simple.keys()) {
      if (c.flags & DEAD) continue
      const restarts = st.simpleRestarts.get(c) ?? 0
      children.push({ id: String(c.id), type, restart, restarts, process: describe(c) })
    }
  } else {
    children = st.children.map((c) => ({
      id: c.id,
      type: isSupervisor(c.spec) ? 'supervisor' : 'worker',
      restart: restartOf(c.spec),
      restarts: c.restarts,
      process: c.proc === null || c.proc.flags & DEAD ? undefined : describe(c.proc),
    }))
  }
  return {
    strategy: st.spec.strategy,
    restarts: st.restartCount,
    intensity: { recent, maxRestarts, withinMs },
    children,
  }
}

async function stopAll(st: SupervisorState): Promise<void> {
  if (st.template !== null) {
    const procs = [...st.simple.keys()]
    for (let i = procs.length - 1; i >= 0; i--) await haltSimple(st, procs[i]!)
    return
  }
  for (let i = st.children.length - 1; i >= 0; i--) await halt(st, st.children[i]!)
}

function findChild(st: SupervisorState, key: string | AnyRef): Child | undefined {
  return typeof key === 'string'
    ? st.children.find((c) => c.id === key)
    : st.byProc.get(key as unknown as Process)
}

function findSimple(st: SupervisorState, key: string | AnyRef): Process | undefined {
  if (typeof key !== 'string') {
    const p = key as unknown as Process
    return st.simple.has(p) ? p : undefined
  }
  for (const p of st.simple.keys()) if (String(p.id) === key) return p
  return undefined
}

function simpleInfo(st: SupervisorState, p: Process): ChildInfo {
  const t = st.template!
  return { id: String(p.id), ref: p, type: isSupervisor(t) ? 'supervisor' : 'worker', restart: restartOf(t) }
}

async function runOp(st: SupervisorState, msg: Op): Promise<unknown> {
  const simple = st.spec.strategy === 'simple_one_for_one'
  switch (msg.op) {
    case 'start': {
      if (st.template !== null) return launch(st, new Child('', st.template, msg.args, null))
      const spec = msg.spec!
      const existing = st.children.find((c) => c.id === spec.id)
      if (existing !== undefined) {
        throw new ActorError(
          'child_running',
          `child ${spec.id} already ${existing.proc ? 'running' : 'present'}`,
        )
      }
      const child = new Child(spec.id, spec, spec.args, null)
      const p = await launch(st, child)
      st.children.push(child)
      return p
    }
    case 'terminate': {
      if (simple) {
        const p = findSimple(st, msg.child)
        if (p === undefined) throw new ActorError('child_not_found', `no child ${String(msg.child)}`)
        await haltSimple(st, p)
        return undefined
      }
      const child = findChild(st, msg.child)
      if (child === undefined) throw new ActorError('child_not_found', `no child ${String(msg.child)}`)
      await halt(st, child)
      if (restartOf(child.spec) === 'temporary') remove(st, child)
      return undefined
    }
    case 'restart': {
      const child = findChild(st, msg.id)
      if (child === undefined || simple) throw new ActorError('child_not_found', `no child ${msg.id}`)
      if (child.proc !== null) throw new ActorError('child_running', `child ${msg.id} is running`)
      return launch(st, child)
    }
    case 'delete': {
      const child = findChild(st, msg.id)
      if (child === undefined || simple) throw new ActorError('child_not_found', `no child ${msg.id}`)
      if (child.proc !== null) throw new ActorError('child_running', `child ${msg.id} is running`)
      remove(st, child)
      return undefined
    }
    case 'which':
      if (simple) return [...st.simple.keys()].map((p) => simpleInfo(st, p))
      return st.children.map(
        (c): ChildInfo => ({
          id: c.id,
          ref: c.proc ?? undefined,
          type: isSupervisor(c.spec) ? 'supervisor' : 'worker',
          restart: restartOf(c.spec),
        }),
      )
    case 'count': {
      if (simple) {
        let active = 0
        for (const p of st.simple.keys()) if ((p.flags & DEAD) === 0) active++
        const n = st.simple.size
        const supervisors = isSupervisor(st.template!) ? n : 0
        return { specs: n, active, supervisors, workers: n - supervisors }
      }
      let active = 0
      let supervisors = 0
      for (const c of st.children) {
        if (c.proc !== null && (c.proc.flags & DEAD) === 0) active++
        if (isSupervisor(c.spec)) supervisors++
      }
      return { specs: st.children.length, active, supervisors, workers: st.children.length - supervisors }
    }
  }
}

/** A `simple_one_for_one` child exited: forget it, or restart it with its own args. */
function simpleExit(
  st: SupervisorState,
  p: Process,
  reason: ExitReason,
): SupervisorState | Promise<SupervisorState> {
  const simple = st.simple
  if (!simple.has(p)) return st
  const args = simple.get(p)
  simple.delete(p)
  const prior = st.simpleRestarts.get(p) ?? 0
  st.simpleRestarts.delete(p)
  const restart = restartOf(st.template!)
  if (restart === 'temporary' || (restart === 'transient' && isNormal(reason))) return st
  const child = new Child('', st.template!, args, null)
  child.restarts = prior
  return restartAfter(st, child).then(() => st)
}

/** The supervisor is an ordinary GenServer that traps exits, so it nests under other supervisors unchanged. */
const supervisorBehaviour: GenServer<SupervisorSpec, SupervisorState, Op, never, OpResult, never> = {
  async init(spec, self) {
    const st = new SupervisorState(spec, self as unknown as Process)
    // Before the first await, so a snapshot taken while the children start already names it.
    if (spec.name !== undefined) st.self.extras().label = spec.name
    // Trap here, not only in Supervisor.start, so nested supervisors started from child specs trap too.
    st.self.flags |= TRAP
    if (spec.strategy === 'simple_one_for_one') return st
    const seen = new Set<string>()
    for (const childSpec of spec.children) {
      if (seen.has(childSpec.id)) throw new ActorError('init_failed', `duplicate child id ${childSpec.id}`)
      seen.add(childSpec.id)
      const child = new Child(childSpec.id, childSpec, childSpec.args, null)
      st.children.push(child)
      try {
        await launch(st, child)
      } catch (err) {
        await stopAll(st)
        throw new ActorError('init_failed', `child ${childSpec.id} failed to start`, { cause: err })
      }
    }
    return st
  },

  async handleCall(msg, _from, st) {
    try {
      return { reply: { ok: true, value: await runOp(st, msg) }, state: st }
    } catch (error) {
      return { reply: { ok: false, error }, state: st }
    }
  },

  handleInfo(msg, st) {
    const m = msg as SystemMessage
    if (m.type !== 'EXIT' || m.from === undefined) return st
    if (st.template !== null) return simpleExit(st, m.from as unknown as Process, m.reason)
    const child = st.byProc.get(m.from as unknown as Process)
    if (child === undefined) return st
    st.byProc.delete(m.from as unknown as Process)
    child.proc = null
    const restart = restartOf(child.spec)
    if (restart === 'temporary' || (restart === 'transient' && isNormal(m.reason))) {
      if (restart === 'temporary') remove(st, child)
      return st
    }
    return restartAfter(st, child).then(() => st)
  },

  async terminate(_reason, st) {
    await stopAll(st)
  },
}

async function op(sup: AnyRef, msg: Op): Promise<unknown> {
  const r = await sup.system.call(sup, msg, { timeout: Number.POSITIVE_INFINITY })
  if (!r.ok) throw r.error
  return r.value
}

/**
 * OTP supervisors: restart strategies, restart intensity with escalation, ordered shutdown.
 * All functions take the supervisor's ref; its own system is used.
 */
export const Supervisor = {
  /** The supervisor behaviour itself, for `system.start(Supervisor.behaviour, spec)`. */
  behaviour: supervisorBehaviour,

  /** Starts a supervisor and all its children in order; rejects (children stopped) if one fails. */
  start(
    system: ActorSystem,
    spec: SupervisorSpec,
    options: Omit<StartOptions, 'trapExit'> = {},
  ): Promise<SupervisorRef> {
    return system.start(supervisorBehaviour, spec, { ...options, trapExit: true })
  },

  /** A child spec that runs a nested supervisor (named `id` in snapshots unless `spec.name` says otherwise). */
  childSpec(
    id: string,
    spec: SupervisorSpec,
    extra: Omit<ChildSpec, 'id' | 'behaviour' | 'args'> = {},
  ): ChildSpec {
    const args = spec.name === undefined ? { ...spec, name: id } : spec
    return { ...extra, id, behaviour: supervisorBehaviour, args }
  },

  /** Adds and starts a child: a full spec, or the args for a `simple_one_for_one` template. */
  startChild<Ref extends AnyRef = AnyRef>(sup: AnyRef, specOrArgs: ChildSpec | unknown): Promise<Ref> {
    return op(sup, { op: 'start', spec: specOrArgs as ChildSpec, args: specOrArgs }) as Promise<Ref>
  },

  /** Stops a child (by id, or by ref for simple_one_for_one); its spec stays unless it is temporary or dynamic. */
  terminateChild(sup: AnyRef, child: string | AnyRef): Promise<void> {
    return op(sup, { op: 'terminate', child }) as Promise<void>
  },

  /** Starts a stopped child again from its spec. */
  restartChild<Ref extends AnyRef = AnyRef>(sup: AnyRef, id: string): Promise<Ref> {
    return op(sup, { op: 'restart', id }) as Promise<Ref>
  },

  /** Removes a stopped child's spec. */
  deleteChild(sup: AnyRef, id: string): Promise<void> {
    return op(sup, { op: 'delete', id }) as Promise<void>
  },

  whichChildren(sup: AnyRef): Promise<ChildInfo[]> {
    return op(sup, { op: 'which' }) as Promise<ChildInfo[]>
  },

  countChildren(sup: AnyRef): Promise<ChildCounts> {
    return op(sup, { op: 'count' }) as Promise<ChildCounts>
  },
}
