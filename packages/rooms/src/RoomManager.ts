import { type ActorSystem, type AnyRef, type Intensity, Supervisor, type SupervisorRef } from '@hubbub/actor'
import type { EventBus } from '@hubbub/bus'
import { encodeServerFrame } from '@hubbub/protocol'
import { chatRoom, type OutgoingFrame, type RoomBehaviour } from './defineRoom.js'
import { MemoryPresenceStore } from './MemoryPresenceStore.js'
import { MemoryRoomLog } from './MemoryRoomLog.js'
import { MemoryRoomStateStore } from './MemoryRoomStateStore.js'
import { PresenceHeartbeat } from './PresenceHeartbeat.js'
import type { PresenceStore } from './PresenceStore.js'
import { RoomActor } from './RoomActor.js'
import type { RoomEnvironment, RoomObserver } from './RoomEnvironment.js'
import { RoomError } from './RoomError.js'
import type { RoomLog } from './RoomLog.js'
import type { JoinRequest, RoomCast, RoomRef, RoomReply } from './RoomState.js'
import type { RoomStateStore } from './RoomStateStore.js'
import { createLogListener } from './roomFanout.js'
import { resetMembers } from './roomMembership.js'

export interface RoomManagerOptions {
  system: ActorSystem
  /** This node's id in presence entries (and the feed). Default: random. */
  nodeId?: string
  /** How often this node heartbeats to the presence store; 0 never. Default 5,000 ms. */
  heartbeatMs?: number
  /** Where rooms publish unsequenced frames, by topic (`roomTopic(id)`); the server bridges it to the transport. */
  bus: EventBus<string | Uint8Array>
  /**
   * Sequences and keeps every room's published frames. Default: a `MemoryRoomLog` keeping
   * `historySize` frames per room. Several nodes share one log (one order per room).
   */
  log?: RoomLog
  /** Frames kept per room by the default log. Default 100. */
  historySize?: number
  /**
   * Hands an encoded sequenced frame to a topic's local subscribers. Default: `bus.publish`.
   * A server gives its transport bridge here, so frames the log delivers are not sent on again.
   */
  deliver?: (topic: string, data: string | Uint8Array) => void
  /** Default: `MemoryPresenceStore`. */
  presence?: PresenceStore
  /** Snapshots of behaviours that `persist`. Default: `MemoryRoomStateStore`. */
  state?: RoomStateStore
  /** The behaviour of every room, or a function choosing one per room id. Default `chatRoom`. */
  rooms?: RoomBehaviour | ((roomId: string) => RoomBehaviour)
  /** Per-user presence events up to this many users per room. Default 1,000. */
  presenceLimit?: number
  /**
   * Presence changes of a room are merged for this long and sent as one `presence_diff`.
   * Default 50 ms; 0 sends each as `user_joined` / `user_left` at once.
   */
  presenceBatchMs?: number
  /**
   * While a room's windows keep filling (a burst of joins or leaves), each next window is twice
   * as long, up to this; one window without a change brings it back to `presenceBatchMs`.
   * Default 1,000 ms; below `presenceBatchMs` the window stays `presenceBatchMs`.
   */
  presenceBatchMaxMs?: number
  /** Messages in the `history` frame after `joined`. Default 50. */
  historyOnJoin?: number
  /** An empty room stops after this long; 0 = at once. Default 30,000 ms. */
  emptyGraceMs?: number
  /** JSON encoder of server frames. Default `encodeServerFrame` of @hubbub/protocol. */
  encode?: (frame: OutgoingFrame) => string
  /** msgpack encoder; without it every member gets JSON. */
  encodeBinary?: (frame: OutgoingFrame) => Uint8Array
  observer?: RoomObserver
  /** Restart intensity of the room supervisor. Default 100 restarts within 5,000 ms. */
  intensity?: Intensity
}

const isExit = (err: unknown): boolean => {
  const code = (err as { code?: unknown } | null)?.code
  return code === 'noproc' || code === 'exit' || code === 'already_registered' || code === 'init_failed'
}

/**
 * Starts rooms on first join under a `simple_one_for_one` supervisor (restart
 * `transient`: a crash restarts the room, an idle stop does not), finds them by id
 * through a registry, and retries a join that raced a stopping room.
 */
export class RoomManager {
  readonly env: RoomEnvironment
  readonly supervisor: SupervisorRef
  readonly #starting = new Map<string, Promise<RoomRef>>()
  readonly #unwatch: Promise<() => void>
  readonly #heartbeat: AnyRef | undefined
  readonly #unreset: (() => void) | undefined

  private constructor(env: RoomEnvironment, supervisor: SupervisorRef, heartbeat: AnyRef | undefined) {
    this.env = env
    this.supervisor = supervisor
    this.#heartbeat = heartbeat
    // The presence feed: what other nodes (or a dropped node) changed is announced by this
    // node's room to its own members; this node's own changes are announced as they happen.
    const watching = env.presence.onDiff((diff) => {
      if (diff.node === env.nodeId) return
      const ref = this.whereis(diff.roomId)
      if (ref !== undefined) env.system.cast(ref, { type: 'presence', diff })
    })
    this.#unwatch = Promise.resolve(watching)
    this.#unwatch.catch((err: unknown) => env.observer.error?.('', err))
    // A shared log lost a room's data: its members here join it afresh.
    this.#unreset = env.log.onReset?.((roomId, epoch) => {
      const s = env.local.get(roomId)
      if (s === undefined) return
      // Before the new epoch's frames, in the actor's order.
      if (s.follows) env.system.cast(s.self, { type: 'log_reset', epoch })
      resetMembers(s)
    })
  }

  static async start(options: RoomManagerOptions): Promise<RoomManager> {
    const { system } = options
    const rooms = options.rooms ?? chatRoom
    const bus = options.bus
    const fanout: Parameters<typeof createLogListener>[0] = {
      local: new Map(),
      deliver: options.deliver ?? ((topic, data) => void bus.publish(topic, data)),
      encode: options.encode ?? (encodeServerFrame as (frame: OutgoingFrame) => string),
      encodeBinary: options.encodeBinary,
      observer: options.observer ?? {},
    }
    const env: RoomEnvironment = {
      ...fanout,
      system,
      nodeId: options.nodeId ?? globalThis.crypto.randomUUID(),
      registry: system.createRegistry({ keys: 'unique' }),
      bus,
      log: options.log ?? new MemoryRoomLog({ size: options.historySize ?? 100 }),
      onSequenced: createLogListener(fanout),
      presence: options.presence ?? new MemoryPresenceStore(),
      state: options.state ?? new MemoryRoomStateStore(),
      behaviourFor: typeof rooms === 'function' ? rooms : () => rooms,
      presenceLimit: options.presenceLimit ?? 1000,
      presenceBatchMs: options.presenceBatchMs ?? 50,
      presenceBatchMaxMs: Math.max(options.presenceBatchMs ?? 50, options.presenceBatchMaxMs ?? 1000),
      historyOnJoin: options.historyOnJoin ?? 50,
      emptyGraceMs: options.emptyGraceMs ?? 30_000,
    }
    const supervisor = await Supervisor.start(system, {
      name: 'hubbub:rooms',
      strategy: 'simple_one_for_one',
      child: { behaviour: RoomActor, restart: 'transient', shutdown: 5000 },
      intensity: options.intensity ?? { maxRestarts: 100, withinMs: 5000 },
    })
    const heartbeatMs = options.heartbeatMs ?? 5000
    let heartbeat: AnyRef | undefined
    if (heartbeatMs > 0) {
      heartbeat = await system.start(PresenceHeartbeat, {
        system,
        presence: env.presence,
        node: env.nodeId,
        everyMs: heartbeatMs,
        onError: (err) => env.observer.error?.('', err),
      })
    }
    const manager = new RoomManager(env, supervisor, heartbeat)
    // Serves once the presence feed is heard (a shared store subscribes first), so a change
    // another node makes after this node's first join reaches its members. A failed watch was
    // reported above; the node serves anyway.
    await manager.#unwatch.catch(() => undefined)
    return manager
  }

  /** The running room actor of `roomId`, if any. */
  whereis(roomId: string): RoomRef | undefined {
    return this.env.registry.whereis(roomId) as RoomRef | undefined
  }

  /** Rooms with a running actor. */
  get count(): number {
    return this.env.registry.size
  }

  /** The room's actor, started if needed (concurrent callers share one start). */
  ensure(roomId: string): Promise<RoomRef> {
    const ref = this.whereis(roomId)
    if (ref !== undefined) return Promise.resolve(ref)
    let pending = this.#starting.get(roomId)
    if (pending === undefined) {
      pending = (
        Supervisor.startChild(this.supervisor, { roomId, env: this.env }) as Promise<RoomRef>
      ).finally(() => this.#starting.delete(roomId))
      this.#starting.set(roomId, pending)
    }
    return pending
  }

  /** Joins `roomId` (starting it if needed); answers with the room's ref on success. */
  async join(roomId: string, request: JoinRequest): Promise<{ reply: RoomReply; ref: RoomRef | undefined }> {
    let lastError: unknown
    for (let attempt = 0; attempt < 5; attempt++) {
      let ref: RoomRef | undefined
      try {
        ref = await this.ensure(roomId)
        const reply = (await this.env.system.call(ref, { type: 'join', ...request })) as RoomReply
        return { reply, ref: reply.ok ? ref : undefined }
      } catch (err) {
        // The room stopped (idle) or crashed between lookup and call: wait for it to be gone, then retry.
        if (!isExit(err)) throw err
        lastError = err
        const old = ref ?? this.whereis(roomId)
        if (old !== undefined && this.env.system.isAlive(old)) await this.env.system.whenExited(old)
        else await new Promise((resolve) => setTimeout(resolve, attempt * 5))
      }
    }
    throw new RoomError('room_unavailable', `room "${roomId}" could not be joined`, { cause: lastError })
  }

  /** Casts to a running room; false when the room is not running. */
  cast(roomId: string, msg: RoomCast): boolean {
    const ref = this.whereis(roomId)
    return ref === undefined ? false : this.env.system.cast(ref, msg)
  }

  /** Stops every room (each runs its orderly `terminate`), then leaves presence: this node's entries go. */
  async stop(): Promise<void> {
    const system = this.env.system
    this.#unreset?.()
    if (system.isAlive(this.supervisor)) await system.stop(this.supervisor, 'shutdown')
    if (this.#heartbeat !== undefined && system.isAlive(this.#heartbeat)) await system.stop(this.#heartbeat)
    ;(await this.#unwatch.catch(() => undefined))?.()
    await this.env.presence.dropNode(this.env.nodeId)
  }
}
