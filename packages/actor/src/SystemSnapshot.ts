import { DEAD, type Process, RUNNING, STARTING, STOPPING } from './Process.js'
import type { Registry } from './Registry.js'
import { describeSupervisor, type RestartType, type Strategy } from './Supervisor.js'
import type { AnyRef, ExitReason } from './types.js'

/** `starting`: in `init`; `running`: in a handler; `idle`: waiting for a message; `stopping`: in `terminate`. */
export type ProcessStatus = 'starting' | 'running' | 'idle' | 'stopping'

/** One live process in `system.snapshot()`. */
export interface ProcessSnapshot {
  readonly pid: number
  /**
   * Its registry name: the `start({name})` one, else its key in another unique registry of the
   * system, else (a supervisor) its `spec.name`, which `Supervisor.childSpec` sets to the child id.
   */
  readonly name: string | undefined
  readonly status: ProcessStatus
  /** Messages waiting in its mailbox. */
  readonly mailbox: number
  /** Messages its bounded mailbox dropped. */
  readonly dropped: number
  /** Present when the process is a supervisor (and its `init` has finished). */
  readonly supervisor?: SupervisorSnapshot
}

export interface SupervisorSnapshot {
  readonly strategy: Strategy
  /** Restarts counted against the intensity since the supervisor started. */
  readonly restarts: number
  /** `recent` restarts within the last `withinMs`; one more than `maxRestarts` escalates. */
  readonly intensity: { readonly recent: number; readonly maxRestarts: number; readonly withinMs: number }
  readonly children: readonly ChildSnapshot[]
}

export interface ChildSnapshot {
  /** The spec id; for `simple_one_for_one` children, the process id (as in `whichChildren`). */
  readonly id: string
  readonly type: 'worker' | 'supervisor'
  readonly restart: RestartType
  /** How often this child has been restarted. */
  readonly restarts: number
  /** Undefined while the child is not running. */
  readonly process: ProcessSnapshot | undefined
}

/** The supervision tree: supervisors with their children, and every process outside a supervisor. */
export interface SystemSnapshot {
  /** Milliseconds since the epoch when it was taken. */
  readonly at: number
  /** Live processes (the tree holds every one of them once). */
  readonly processes: number
  readonly roots: readonly ProcessSnapshot[]
}

/** What `system.onLifecycle` listeners receive. `at` is `Date.now()` when it happened. */
export type LifecycleEvent =
  | {
      /** `init` finished (a process whose `init` failed only sends `exited`). */
      readonly type: 'started'
      readonly at: number
      readonly ref: AnyRef
      readonly pid: number
      readonly name: string | undefined
      /** The supervisor (or linking process) that started it. */
      readonly parent: number | undefined
    }
  | {
      readonly type: 'exited'
      readonly at: number
      readonly ref: AnyRef
      readonly pid: number
      readonly name: string | undefined
      readonly reason: ExitReason
    }
  | {
      /** A supervisor started `ref` again in place of a child that exited (after its `exited`). */
      readonly type: 'restarted'
      readonly at: number
      readonly ref: AnyRef
      readonly pid: number
      readonly name: string | undefined
      readonly supervisor: AnyRef
      readonly childId: string
      /** This child's restarts so far, this one included. */
      readonly restarts: number
    }
  | {
      /** A supervisor exceeded its restart intensity: it stops its children and exits (its `exited` follows). */
      readonly type: 'escalated'
      readonly at: number
      readonly ref: AnyRef
      readonly pid: number
      readonly name: string | undefined
      readonly maxRestarts: number
      readonly withinMs: number
    }

export type LifecycleListener = (event: LifecycleEvent) => void

/**
 * A process's display name: its system name, else its first key in another unique registry, else
 * its unregistered label (a supervisor's `spec.name`).
 */
export function nameOf(p: Process, registries: readonly Registry<any>[]): string | undefined {
  const x = p.x
  // Registering a process in any registry allocates its extras (for the exit hook): none, no name.
  if (x === null) return undefined
  const own = x.name
  if (own !== undefined) return own
  for (const r of registries) {
    if (r.keys !== 'unique') continue
    const key = r.keysOf(p)[0]
    if (typeof key === 'string' || typeof key === 'number') return String(key)
  }
  return x.label
}

function statusOf(flags: number): ProcessStatus {
  if (flags & STOPPING) return 'stopping'
  if (flags & STARTING) return 'starting'
  return flags & RUNNING ? 'running' : 'idle'
}

/** Walks the live processes: those without a supervising parent are roots, the rest hang under theirs. */
export function snapshotSystem(
  procs: ReadonlyMap<number, Process>,
  registries: readonly Registry<any>[],
): SystemSnapshot {
  const seen = new Set<Process>()
  const describe = (p: Process): ProcessSnapshot => {
    seen.add(p)
    const x = p.x
    const base = {
      pid: p.id,
      name: nameOf(p, registries),
      status: statusOf(p.flags),
      mailbox: p.len,
      dropped: x === null ? 0 : x.dropped,
    }
    const supervisor = describeSupervisor(p, describe)
    return supervisor === undefined ? base : { ...base, supervisor }
  }
  const roots: ProcessSnapshot[] = []
  for (const p of procs.values()) {
    const parent = p.parent
    if (parent === null || parent.flags & DEAD) roots.push(describe(p))
  }
  // Children not (or no longer, or not yet) held by a live supervisor: a child being started, or one
  // linked to a plain process. Listed at the top so the tree still holds every process.
  for (const p of procs.values()) if (!seen.has(p)) roots.push(describe(p))
  return { at: Date.now(), processes: procs.size, roots }
}
