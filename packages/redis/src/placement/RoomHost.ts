import type {
  HandlerResult,
  OutgoingFrame,
  RoomBehaviour,
  RoomContext,
  RoomEffect,
  RoomLog,
  RoomStateStore,
  RoomUser,
  ScheduledMessage,
  ScheduleOptions,
  TimerInfo,
} from '@hubbub/rooms'
import { EffectCollector } from '@hubbub/rooms'
import type { CallEffect, HostInput, NodeEffect } from './placementMessages.js'

export interface RoomHostOptions {
  readonly roomId: string
  /** The real (`owned`) behaviour. */
  readonly behaviour: RoomBehaviour
  /** The fence of this node's lease on the room. */
  readonly fence: number
  /** How many answered frame ids to remember per connection (0: none). */
  readonly recentFrameIds: number
  /** How many answered frames with a user-keyed id (see `USER_KEYED_ID`) to remember for the room. */
  readonly userFrameIds: number
  readonly log: RoomLog
  /**
   * Appends a frame the behaviour published to the room log, checked against the fence where the
   * log can (`RedisRoomLog.publishFenced`): `'stale'` when a newer owner holds the room, and then
   * nothing reached the log. `from`: the key of the client frame whose run publishes it (see
   * `answerKey`), recorded with the offset in the same step where the log can.
   */
  publish(frame: OutgoingFrame, from?: string): Promise<{ offset: number } | 'stale'>
  readonly state: RoomStateStore
  /** False once the lease may be lost: nothing is applied or sent after that. */
  holds(): boolean
  /** Sends one node its members' effects of one handler run (this node's own included). */
  deliver(node: string, effects: NodeEffect[]): void
  /**
   * Stores what a run leaves behind, checked against the fence in the same step: the snapshot of a
   * behaviour that persists, and the answer to a client frame (its key, see `answerKey`). False
   * when a newer owner holds the room: the run is dropped and the copy stops.
   */
  commit(
    snapshot: { state: unknown; offset: number } | undefined,
    frame: { key: string; answers: CallEffect[] } | undefined,
  ): Promise<boolean>
  /** The answers of the room's recent frames, oldest first, as committed by its owners. */
  answered(): Promise<[string, CallEffect[]][]>
  /**
   * The room's recent client frames whose runs published to the log, with the position of the
   * frame's last publish (see `publish`'s `from`); empty where the log does not record them.
   */
  published(): Promise<[string, { epoch: string; offset: number }][]>
  /** The room has no connection left: the placement may stop it. */
  empty(): void
  onError(err: unknown): void
}

interface Connection {
  readonly node: string
  readonly user: RoomUser
}

interface Run {
  readonly user: RoomUser | null
  readonly timer: TimerInfo | null
  /** Answers for the invoking connection go to it directly (a resync has no frame to answer). */
  readonly answer: 'result' | 'connection'
  /** The key of the client frame it runs for (see `answerKey`): its answer is committed with the run. */
  readonly frame?: string | undefined
}

/**
 * A frame id at least this long is the user's idempotency key in the room: a resend from another
 * connection of the same user (after a reconnect) gets the first answer. Shorter ids count per
 * connection, as two clients of one user may count their frame ids alike.
 */
export const USER_KEYED_ID = 16

/**
 * Where a frame's answer is remembered, in memory and in Redis: `\n<user name>\n<frameId>` for a
 * user-keyed id (user names have no control characters), `<connectionId> <frameId>` otherwise.
 */
export function answerKey(user: RoomUser, frameId: string): string {
  return frameId.length >= USER_KEYED_ID ? `\n${user.name}\n${frameId}` : `${user.connectionId} ${frameId}`
}

/**
 * The one running copy of an owned room, on the node holding its lease: the behaviour's state,
 * timers and handlers, fed by every node's members. Inputs run one after the other; each run's
 * effects go out once its publishes are sequenced and its state saved.
 */
export class RoomHost {
  readonly roomId: string
  readonly fence: number
  readonly #o: RoomHostOptions
  readonly #users = new Map<string, RoomUser>()
  readonly #connections = new Map<string, Connection>()
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>()
  readonly #unnamed = new Set<ReturnType<typeof setTimeout>>()
  /**
   * Per connection: the answers to its recent frames by frame id, oldest first (by connection, as two
   * clients of one user count their frame ids alike).
   */
  readonly #answered = new Map<string, Map<string, CallEffect[]>>()
  /** The answers to the room's recent user-keyed frames (see `answerKey`), oldest first; kept across leaves. */
  readonly #byUser = new Map<string, CallEffect[]>()
  #queue: Promise<unknown>
  #state: unknown
  #offset = 0
  /** The log frames `replay` applied on restore: their epoch and offsets. */
  #replayed: { epoch: string; offsets: Set<number> } | undefined
  #stopped = false
  #stale = false

  constructor(options: RoomHostOptions) {
    this.#o = options
    this.roomId = options.roomId
    this.fence = options.fence
    this.#queue = this.#start()
    this.#queue.catch((err: unknown) => {
      options.onError(err)
      this.stop()
    })
  }

  /** The nodes other than `self` that hold connections of the room. */
  nodesBesides(self: string): Set<string> {
    const nodes = new Set<string>()
    for (const c of this.#connections.values()) if (c.node !== self) nodes.add(c.node)
    return nodes
  }

  /** Connections the room knows of, on any node. */
  get connections(): number {
    return this.#connections.size
  }

  get stopped(): boolean {
    return this.#stopped
  }

  /** Stopped because a newer owner holds the room (a fenced write or publish was refused). */
  get stale(): boolean {
    return this.#stale
  }

  /** Runs one input after those before it; undefined when the room stopped (or lost its lease) first. */
  call(input: HostInput, node: string): Promise<CallEffect[] | undefined> {
    const run = this.#queue.then(() => this.#handle(input, node))
    this.#queue = run.catch(() => undefined)
    return run.then(
      (effects) => (this.#stopped ? undefined : effects),
      (err: unknown) => {
        // A throwing handler stops the room; it starts afresh (from its snapshot) on the next input.
        this.#o.onError(err)
        this.stop()
        return undefined
      },
    )
  }

  /** Stops at once: no timer fires and no effect leaves after this. */
  stop(): void {
    this.#stopped = true
    for (const t of this.#timers.values()) clearTimeout(t)
    for (const t of this.#unnamed) clearTimeout(t)
    this.#timers.clear()
    this.#unnamed.clear()
  }

  async #start(): Promise<void> {
    const { behaviour, log, roomId } = this.#o
    const top = (await log.read(roomId, { limit: 1 })).top
    this.#offset = top.offset
    this.#state = await this.#restore(top)
    // The frames earlier owners answered: a client's resend of one gets its answer again here.
    if (this.#o.recentFrameIds > 0) {
      for (const [key, answers] of await this.#o.answered()) this.#remember(key, answers)
      if (!(await this.#replayedFrames())) return
    }
    const onStart = behaviour.onStart
    if (onStart !== undefined)
      await this.#run({ user: null, timer: null, answer: 'connection' }, (ctx) => onStart(ctx, this.#state))
  }

  /** `init`, or for a behaviour that persists the last snapshot and the log frames sequenced after it. */
  async #restore(top: { epoch: string; offset: number }): Promise<unknown> {
    const { behaviour, roomId, state, log } = this.#o
    if (!behaviour.persist) return behaviour.init?.(roomId)
    const snapshot = await state.load(roomId)
    if (snapshot === undefined) return behaviour.init?.(roomId)
    let restored = behaviour.restore ? behaviour.restore(snapshot.state, roomId) : snapshot.state
    const replay = behaviour.replay
    if (replay === undefined || snapshot.offset >= top.offset) return restored
    const read = await log.read(roomId, {
      since: { epoch: top.epoch, offset: snapshot.offset },
      limit: top.offset - snapshot.offset,
    })
    if (!read.recovered) return restored
    const offsets = new Set<number>()
    for (const frame of read.messages) {
      restored = replay(restored, frame)
      offsets.add(frame.offset)
    }
    this.#replayed = { epoch: top.epoch, offsets }
    return restored
  }

  /**
   * A client frame whose publish the restore replayed but whose answer was never committed (its
   * owner lost the room between the publish and the save) was applied: a resend of it is answered
   * as a run that replied nothing (its reply is not known) instead of running again. Remembered and
   * committed like an answer, so the owners after this one know it too. False when a newer owner
   * holds the room (the copy stops).
   */
  async #replayedFrames(): Promise<boolean> {
    const replayed = this.#replayed
    if (replayed === undefined || replayed.offsets.size === 0) return true
    for (const [key, position] of await this.#o.published()) {
      if (position.epoch !== replayed.epoch || !replayed.offsets.has(position.offset)) continue
      if (this.#recall(key) !== undefined) continue
      if (!(await this.#o.commit(undefined, { key, answers: [] }))) {
        this.#stale = true
        this.stop()
        return false
      }
      this.#remember(key, [])
    }
    return true
  }

  async #handle(input: HostInput, node: string): Promise<CallEffect[]> {
    if (this.#stopped) return []
    const b = this.#o.behaviour
    const run = (user: RoomUser, answer: Run['answer'] = 'result') => ({ user, timer: null, answer })
    switch (input.kind) {
      case 'join': {
        this.#connections.set(input.user.connectionId, { node, user: input.user })
        if (this.#users.has(input.user.name)) return []
        this.#users.set(input.user.name, input.user)
        const h = b.onJoin
        return h ? this.#run(run(input.user), (ctx) => h(ctx as never, this.#state)) : []
      }
      case 'sync': {
        this.#connections.set(input.user.connectionId, { node, user: input.user })
        if (!this.#users.has(input.user.name)) this.#users.set(input.user.name, input.user)
        const h = b.onSync
        return h ? this.#run(run(input.user), (ctx) => h(ctx as never, this.#state)) : []
      }
      case 'nodeGone': {
        const names = new Map<string, RoomUser>()
        for (const [id, c] of this.#connections) {
          if (c.node !== input.node) continue
          this.#connections.delete(id)
          this.#answered.delete(id)
          names.set(c.user.name, c.user)
        }
        if (names.size === 0) return []
        for (const c of this.#connections.values()) names.delete(c.user.name)
        const h = b.onLeave
        for (const [name, user] of names) {
          if (!this.#users.delete(name)) continue
          if (h) await this.#run(run(user, 'connection'), (ctx) => h(ctx as never, this.#state))
        }
        if (this.#connections.size === 0) this.#o.empty()
        return []
      }
      case 'leave': {
        const name = input.user.name
        for (const [id, c] of this.#connections) {
          if (c.user.name !== name) continue
          this.#connections.delete(id)
          this.#answered.delete(id)
        }
        if (!this.#users.delete(name)) return []
        const h = b.onLeave
        const effects = h ? await this.#run(run(input.user), (ctx) => h(ctx as never, this.#state)) : []
        if (this.#connections.size === 0) this.#o.empty()
        return effects
      }
      case 'message': {
        const h = b.onMessage
        if (h === undefined) return []
        return this.#once(input.user, input.frameId, (frame) =>
          this.#run({ ...run(input.user), frame }, (ctx) => h(ctx, input.frame as never, this.#state)),
        )
      }
      case 'text': {
        const h = b.onText
        if (h === undefined) return []
        return this.#once(input.user, input.frameId, (frame) =>
          this.#run({ ...run(input.user), frame }, (ctx) => h(ctx as never, input.text, this.#state)),
        )
      }
      case 'members': {
        for (const user of input.users) {
          if (this.#connections.has(user.connectionId)) continue
          this.#connections.set(user.connectionId, { node, user })
          if (!this.#users.has(user.name)) {
            this.#users.set(user.name, user)
            const h = b.onJoin
            if (h) await this.#run(run(user, 'connection'), (ctx) => h(ctx as never, this.#state))
          }
          const h = b.onSync
          if (h) await this.#run(run(user, 'connection'), (ctx) => h(ctx as never, this.#state))
        }
        return []
      }
    }
  }

  /**
   * Runs a member's frame once per frame id: a repeat (a resend after its call timed out on another
   * node, when the first one was applied all the same; with a user-keyed id, also a resend from a
   * new connection of the user) gets the first answer again.
   */
  async #once(
    user: RoomUser,
    frameId: string | undefined,
    run: (frame?: string) => Promise<CallEffect[]>,
  ): Promise<CallEffect[]> {
    if (frameId === undefined || this.#o.recentFrameIds <= 0) return run()
    const key = answerKey(user, frameId)
    const seen = this.#recall(key)
    if (seen !== undefined) return seen
    const answers = await run(key)
    if (!this.#stopped) this.#remember(key, answers)
    return answers
  }

  /** The remembered answer to the frame of `key` (see `answerKey`), if any. */
  #recall(key: string): CallEffect[] | undefined {
    if (key[0] === '\n') return this.#byUser.get(key)
    const space = key.indexOf(' ')
    return this.#answered.get(key.slice(0, space))?.get(key.slice(space + 1))
  }

  /** Remembers the answer to the frame of `key` (see `answerKey`), dropping the oldest past the limits. */
  #remember(key: string, answers: CallEffect[]): void {
    if (key[0] === '\n') {
      this.#byUser.delete(key)
      this.#byUser.set(key, answers)
      if (this.#byUser.size > this.#o.userFrameIds)
        this.#byUser.delete(this.#byUser.keys().next().value as string)
      return
    }
    const space = key.indexOf(' ')
    const connectionId = key.slice(0, space)
    const frameId = key.slice(space + 1)
    let recent = this.#answered.get(connectionId)
    if (recent === undefined) {
      recent = new Map()
      this.#answered.set(connectionId, recent)
    }
    recent.set(frameId, answers)
    if (recent.size > this.#o.recentFrameIds) recent.delete(recent.keys().next().value as string)
  }

  #timer(message: ScheduledMessage, key: string | undefined, due: number): void {
    const h = this.#o.behaviour.onTimer ?? this.#o.behaviour.onMessage
    if (h === undefined || this.#stopped) return
    const timer = { key, due, lateMs: Math.max(0, Date.now() - due) }
    const run = this.#queue.then(() =>
      this.#stopped
        ? []
        : this.#run({ user: null, timer, answer: 'connection' }, (ctx) =>
            h(ctx, message as never, this.#state),
          ),
    )
    this.#queue = run.catch((err: unknown) => {
      this.#o.onError(err)
      this.stop()
    })
  }

  #schedule(message: ScheduledMessage, ms: number, options: ScheduleOptions): void {
    const key = options.key
    const every = options.every === true
    const delay = Math.max(every ? 1 : 0, ms)
    if (key !== undefined) this.#cancel(key)
    let due = Date.now() + delay
    const fire = (): void => {
      const fired = due
      if (key === undefined) this.#unnamed.delete(handle)
      else if (every) {
        due += delay
        if (due < Date.now() - delay) due = Date.now()
        handle = setTimeout(fire, Math.max(0, due - Date.now()))
        this.#timers.set(key, handle)
      } else this.#timers.delete(key)
      this.#timer(message, key, fired)
    }
    let handle = setTimeout(fire, delay)
    if (key === undefined) this.#unnamed.add(handle)
    else this.#timers.set(key, handle)
  }

  #cancel(key: string): void {
    const t = this.#timers.get(key)
    if (t === undefined) return
    clearTimeout(t)
    this.#timers.delete(key)
  }

  /** Runs one handler and applies its effects, in order; answers what goes to the invoking connection. */
  async #run(
    run: Run,
    call: (ctx: RoomContext<unknown>) => HandlerResult<unknown> | Promise<HandlerResult<unknown>>,
  ): Promise<CallEffect[]> {
    const effects: RoomEffect[] = []
    const result = await call(new HostContext(this, this.#state, run, effects, [...this.#users.keys()]))
    if (result !== undefined && result !== null) {
      if (Array.isArray(result)) effects.push(...(result as RoomEffect[]))
      else {
        const r = result as { state?: unknown; effects?: readonly RoomEffect[] }
        if ('state' in r) effects.push({ kind: 'setState', state: r.state })
        if (r.effects) effects.push(...r.effects)
      }
    }
    return this.#apply(run, effects)
  }

  async #apply(run: Run, effects: RoomEffect[]): Promise<CallEffect[]> {
    const o = this.#o
    const answers: CallEffect[] = []
    const byNode = new Map<string, NodeEffect[]>()
    const toNodes = (nodes: Iterable<string>, effect: NodeEffect): void => {
      for (const node of nodes) {
        const list = byNode.get(node)
        if (list === undefined) byNode.set(node, [effect])
        else list.push(effect)
      }
    }
    const nodesOf = (user?: string): Set<string> => {
      const nodes = new Set<string>()
      for (const c of this.#connections.values())
        if (user === undefined || c.user.name === user) nodes.add(c.node)
      return nodes
    }
    const answer = (frame: OutgoingFrame): void => {
      if (run.user === null) return
      const id = run.user.connectionId
      if (run.answer === 'result') answers.push({ kind: 'reply', frame })
      else {
        const c = this.#connections.get(id)
        if (c !== undefined) toNodes([c.node], { kind: 'toConnection', connectionId: id, frame })
      }
    }
    let changed = false
    for (const e of effects) {
      if (!o.holds()) {
        this.stop()
        return []
      }
      switch (e.kind) {
        case 'publish': {
          // A move counts once the log gave it an offset: a snapshot saved after it reflects it.
          const position = await o.publish(e.frame, run.frame)
          if (position === 'stale') {
            // A newer owner holds the room: nothing reached the log, and this copy stops here.
            this.#stale = true
            this.stop()
            return []
          }
          if (position.offset > this.#offset) this.#offset = position.offset
          break
        }
        case 'setState':
          this.#state = e.state
          changed = true
          break
        case 'broadcast':
          toNodes(nodesOf(), { kind: 'broadcast', frame: e.frame, exclude: e.exclude })
          break
        case 'sendTo':
          toNodes(nodesOf(e.user), { kind: 'sendTo', user: e.user, frame: e.frame })
          break
        case 'reply':
          answer(e.frame)
          break
        case 'reject':
          if (run.answer === 'result') answers.push({ kind: 'reject', code: e.code, message: e.message })
          else answer({ type: 'error', code: e.code, message: e.message })
          break
        case 'schedule': {
          const { kind: _k, message, ms, ...options } = e
          this.#schedule(message, ms, options)
          break
        }
        case 'cancel':
          this.#cancel(e.key)
          break
      }
    }
    const b = o.behaviour
    const snapshot =
      changed && b.persist
        ? { state: b.snapshot ? b.snapshot(this.#state) : this.#state, offset: this.#offset }
        : undefined
    const frame = run.frame === undefined ? undefined : { key: run.frame, answers }
    // The snapshot and the frame's answer are stored with the fence in one step: a copy whose lease
    // was taken over meanwhile stores nothing and answers nothing.
    if ((snapshot !== undefined || frame !== undefined) && !(await o.commit(snapshot, frame))) {
      this.#stale = true
      this.stop()
      return []
    }
    // Checked again after the awaits: a lease lost meanwhile sends nothing.
    if (!o.holds()) {
      this.stop()
      return []
    }
    for (const [node, list] of byNode) o.deliver(node, list)
    return answers
  }
}

/** The handler's view of an owned room on its owner; effect methods collect, applied after it returns. */
class HostContext extends EffectCollector implements RoomContext<unknown> {
  readonly user: RoomUser | null
  readonly timer: TimerInfo | null
  constructor(
    readonly host: RoomHost,
    readonly state: unknown,
    run: Run,
    effects: RoomEffect[],
    readonly members: readonly string[],
  ) {
    super(effects)
    this.user = run.user
    this.timer = run.timer
  }
  get roomId(): string {
    return this.host.roomId
  }
}
