import { AlreadyRegisteredError, NoProcError, NotRegisteredError } from './ActorError.js'
import type { ActorSystem } from './ActorSystem.js'
import { DEAD, INFO, type Process } from './Process.js'
import type { AnyRef, ExitReason } from './types.js'

export interface RegistryEntry<Meta = unknown> {
  readonly ref: AnyRef
  readonly meta: Meta | undefined
}

/**
 * Keys → processes, owned by one ActorSystem. `unique` keys map to one process, `duplicate` keys
 * to many (groups, rooms). Entries vanish when their process exits, driven by the exit event.
 */
export class Registry<Meta = unknown> {
  readonly keys: 'unique' | 'duplicate'
  private readonly byKey = new Map<unknown, RegistryEntry<Meta>[]>()
  private readonly byProc = new Map<Process, Set<unknown>>()

  constructor(
    readonly system: ActorSystem,
    options: { keys: 'unique' | 'duplicate' },
  ) {
    this.keys = options.keys
  }

  /** Registers `ref` under `key`. Throws AlreadyRegisteredError (unique keys) or NoProcError (dead ref). */
  register(key: unknown, ref: AnyRef, meta?: Meta): void {
    const p = ref as unknown as Process
    if (p.flags & DEAD) throw new NoProcError()
    let list = this.byKey.get(key)
    if (list !== undefined) {
      if (this.keys === 'unique') throw new AlreadyRegisteredError(key)
      if (list.some((e) => e.ref === ref)) throw new AlreadyRegisteredError(key)
    } else {
      list = []
      this.byKey.set(key, list)
    }
    list.push({ ref, meta })
    let keys = this.byProc.get(p)
    if (keys === undefined) {
      keys = new Set()
      this.byProc.set(p, keys)
      const hooks = p.extras().hooks
      if (hooks === null || !hooks.includes(this.onExit)) this.system.addHook(p, this.onExit)
    }
    keys.add(key)
  }

  /** Internal: fail fast before spawning a named process. */
  assertFree(key: unknown): void {
    if (this.keys === 'unique' && this.byKey.has(key)) throw new AlreadyRegisteredError(key)
  }

  /** The (first) process under `key`, or undefined. */
  whereis(key: unknown): AnyRef | undefined {
    return this.byKey.get(key)?.[0]?.ref
  }

  /** The (first) entry under `key`; throws NotRegisteredError when there is none. */
  lookup(key: unknown): RegistryEntry<Meta> {
    const e = this.byKey.get(key)?.[0]
    if (e === undefined) throw new NotRegisteredError(key)
    return e
  }

  /** Every entry under `key` (duplicate registries); empty when none. */
  entries(key: unknown): readonly RegistryEntry<Meta>[] {
    return this.byKey.get(key) ?? []
  }

  /** Keys held by a process. */
  keysOf(ref: AnyRef): unknown[] {
    return [...(this.byProc.get(ref as unknown as Process) ?? [])]
  }

  /** Removes `key` (only `ref`'s entry when given). Returns whether anything was removed. */
  unregister(key: unknown, ref?: AnyRef): boolean {
    const list = this.byKey.get(key)
    if (list === undefined) return false
    let removed = false
    for (let i = list.length - 1; i >= 0; i--) {
      const e = list[i]!
      if (ref !== undefined && e.ref !== ref) continue
      list.splice(i, 1)
      removed = true
      this.dropKey(e.ref as unknown as Process, key)
    }
    if (list.length === 0) this.byKey.delete(key)
    return removed
  }

  /** Sends `msg` to `handleInfo` of every process under `key`; returns how many received it. */
  dispatch(key: unknown, msg: unknown): number {
    const list = this.byKey.get(key)
    if (list === undefined) return 0
    let n = 0
    for (const e of list) {
      const p = e.ref as unknown as Process
      if (p.flags & DEAD) continue
      try {
        if (p.enqueue(INFO, msg)) n++
      } catch {
        // One full 'reject' mailbox must not stop delivery to the others; its drop is counted.
      }
    }
    return n
  }

  /** Number of keys currently registered. */
  get size(): number {
    return this.byKey.size
  }

  private dropKey(p: Process, key: unknown): void {
    const keys = this.byProc.get(p)
    if (keys === undefined) return
    keys.delete(key)
    if (keys.size === 0) this.byProc.delete(p)
  }

  private readonly onExit = (p: Process, _reason: ExitReason): void => {
    const keys = this.byProc.get(p)
    if (keys === undefined) return
    this.byProc.delete(p)
    for (const key of keys) {
      const list = this.byKey.get(key)
      if (list === undefined) continue
      const i = list.findIndex((e) => e.ref === p)
      if (i >= 0) list.splice(i, 1)
      if (list.length === 0) this.byKey.delete(key)
    }
  }
}
