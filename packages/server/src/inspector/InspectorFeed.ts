import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks'
import type { ActorSystem, ExitReason, LifecycleEvent, ProcessSnapshot, SystemSnapshot } from '@hubbub/actor'
import type { IntrospectOptions, ServerSnapshot } from '../introspection/index.js'
import type { InspectorAction } from './InspectorOptions.js'

/** The system room the inspector page joins; it exists only for inspector connections. */
export const INSPECTOR_ROOM = 'hubbub:inspector'
/** Rooms and connections a feed snapshot carries at most (the busiest / most buffered first). */
export const FEED_ROOMS = 50
export const FEED_CONNECTIONS = 20
/** Children shown per supervisor (a connection supervisor has one per socket): the restarted first. */
export const FEED_CHILDREN = 40

/** Someone watching the feed: an inspector connection. */
export interface InspectorWatcher {
  sendFrame(frame: Record<string, unknown>): void
}

/** What the feed needs from its server. */
export interface InspectorFeedSource {
  readonly system: ActorSystem
  introspect(options?: IntrospectOptions): Promise<ServerSnapshot>
  /**
   * The kept history size of these rooms (one log read each). With it, a feed snapshot reads the
   * history of the rooms it shows only (at most `FEED_ROOMS`); without it, of every room.
   */
  history?(roomIds: readonly string[]): Promise<ReadonlyMap<string, number | undefined>>
  act(action: InspectorAction): Promise<{ ok: boolean; message?: string }>
}

/** A lifecycle event as the page sees it: refs as pids, an exit reason as a short string. */
export type FeedEvent = Record<string, unknown> & { type: LifecycleEvent['type']; at: number; pid: number }

/** An exit reason in a few words; an error's message only (never its stack or fields). */
export function describeReason(reason: ExitReason): string {
  if (typeof reason === 'string') return reason
  if (reason !== null && typeof reason === 'object' && 'error' in reason) {
    const e = (reason as { error: unknown }).error
    return `error: ${e instanceof Error ? e.message : String(e)}`.slice(0, 200)
  }
  return 'abnormal'
}

function feedEvent(e: LifecycleEvent): FeedEvent {
  const base = { type: e.type, at: e.at, pid: e.pid, name: e.name }
  switch (e.type) {
    case 'started':
      return { ...base, parent: e.parent }
    case 'exited':
      return { ...base, reason: describeReason(e.reason) }
    case 'restarted':
      return { ...base, childId: e.childId, restarts: e.restarts }
    case 'escalated':
      return { ...base, maxRestarts: e.maxRestarts, withinMs: e.withinMs }
  }
}

/**
 * The inspector's live feed. It runs only while at least one watcher is attached: then it listens
 * to the actor system's lifecycle events (forwarded as they happen), samples the event-loop delay,
 * and sends a trimmed snapshot about once per second. With no watcher it holds no listener and no
 * timer, so the message path pays nothing.
 */
export class InspectorFeed {
  readonly #source: InspectorFeedSource
  readonly #watchers = new Set<InspectorWatcher>()
  readonly #intervalMs: number
  #timer: ReturnType<typeof setInterval> | undefined
  #offLifecycle: (() => void) | undefined
  #delay: IntervalHistogram | undefined
  #ticking = false

  constructor(source: InspectorFeedSource, intervalMs = 1000) {
    this.#source = source
    this.#intervalMs = intervalMs
  }

  get watching(): number {
    return this.#watchers.size
  }

  /** True while the feed runs (some watcher attached). */
  get running(): boolean {
    return this.#timer !== undefined
  }

  watch(w: InspectorWatcher): void {
    if (this.#watchers.has(w)) return
    this.#watchers.add(w)
    if (this.#watchers.size === 1) this.#start()
    void this.#tick()
  }

  unwatch(w: InspectorWatcher): void {
    if (!this.#watchers.delete(w)) return
    if (this.#watchers.size === 0) this.#stop()
  }

  act(action: InspectorAction): Promise<{ ok: boolean; message?: string }> {
    return this.#source.act(action)
  }

  stop(): void {
    this.#watchers.clear()
    this.#stop()
  }

  #start(): void {
    this.#offLifecycle = this.#source.system.onLifecycle((e) => {
      this.#send({ type: 'inspector', roomId: INSPECTOR_ROOM, kind: 'event', event: feedEvent(e) })
    })
    this.#delay = monitorEventLoopDelay({ resolution: 10 })
    this.#delay.enable()
    this.#timer = setInterval(() => void this.#tick(), this.#intervalMs)
    this.#timer.unref()
  }

  #stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    this.#offLifecycle?.()
    this.#offLifecycle = undefined
    this.#delay?.disable()
    this.#delay = undefined
  }

  #send(frame: Record<string, unknown>): void {
    for (const w of this.#watchers) {
      try {
        w.sendFrame(frame)
      } catch {
        // A watcher whose socket failed is removed when it closes.
      }
    }
  }

  async #tick(): Promise<void> {
    if (this.#ticking || this.#watchers.size === 0) return
    this.#ticking = true
    try {
      const source = this.#source
      let snap: ServerSnapshot
      let trimmed: Record<string, unknown>
      if (source.history === undefined) {
        snap = await source.introspect({ history: true })
        trimmed = trim(snap)
      } else {
        // Read the history of the rooms the page gets, not of every room this node runs.
        snap = await source.introspect({ history: false })
        trimmed = trim(snap)
        const shown = trimmed.rooms as { id: string; history: number | undefined }[]
        const sizes = await source.history(shown.map((r) => r.id))
        trimmed.rooms = shown.map((r) => ({ ...r, history: sizes.get(r.id) }))
      }
      const delay = this.#delay
      const loop =
        delay === undefined || delay.count === 0
          ? { p99Ms: 0, meanMs: 0 }
          : { p99Ms: delay.percentile(99) / 1e6, meanMs: delay.mean / 1e6 }
      delay?.reset()
      this.#send({ type: 'inspector', roomId: INSPECTOR_ROOM, kind: 'snapshot', snapshot: trimmed, loop })
    } catch {
      // A failed read (a store down) skips one snapshot; the next tick tries again.
    } finally {
      this.#ticking = false
    }
  }
}

/** The snapshot the page gets: the busiest rooms, the most buffered connections, counts of the rest. */
export function trim(snap: ServerSnapshot): Record<string, unknown> {
  const rooms = [...snap.rooms].sort((a, b) => b.connections - a.connections || a.id.localeCompare(b.id))
  const conns = [...snap.connections].sort((a, b) => b.bufferedBytes - a.bufferedBytes)
  return {
    nodeId: snap.nodeId,
    at: snap.at,
    uptimeMs: snap.uptimeMs,
    roomCount: rooms.length,
    rooms: rooms.slice(0, FEED_ROOMS),
    connectionCount: conns.length,
    connections: conns.slice(0, FEED_CONNECTIONS),
    framesIn: snap.connections.reduce((n, c) => n + c.framesIn, 0),
    framesOut: snap.connections.reduce((n, c) => n + c.framesOut, 0),
    messagesTotal: snap.rooms.reduce((n, r) => n + r.messagesTotal, 0),
    actors: trimTree(snap.actors),
  }
}

function trimProcess(p: ProcessSnapshot): Record<string, unknown> {
  const sup = p.supervisor
  if (sup === undefined) return { ...p }
  const children = [...sup.children].sort((a, b) => b.restarts - a.restarts)
  return {
    ...p,
    supervisor: {
      ...sup,
      childCount: children.length,
      children: children.slice(0, FEED_CHILDREN).map((c) => ({
        ...c,
        process: c.process === undefined ? undefined : trimProcess(c.process),
      })),
    },
  }
}

/** The supervision tree with at most `FEED_CHILDREN` children per supervisor (`childCount` says how many). */
export function trimTree(tree: SystemSnapshot): Record<string, unknown> {
  return {
    at: tree.at,
    processes: tree.processes,
    rootCount: tree.roots.length,
    roots: tree.roots.slice(0, FEED_CHILDREN).map(trimProcess),
  }
}
