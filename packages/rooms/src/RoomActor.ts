import type {
  ActorSystem,
  AnyRef,
  GenServer,
  GenServerRef,
  Registry,
  SystemMessage,
  TimerRef,
} from '@hubbub/actor'
import type { EventBus } from '@hubbub/bus'
import type { ErrorCode } from '@hubbub/protocol'
import type {
  HandlerResult,
  OutgoingFrame,
  RoomBehaviour,
  RoomContext,
  RoomEffect,
  RoomUser,
  ScheduledMessage,
} from './defineRoom.js'
import type { HistoryStore, StoredMessage } from './HistoryStore.js'
import type { PresenceStore } from './PresenceStore.js'
import { type RoomMember, roomBinaryTopic, roomTopic } from './RoomMember.js'

/** What one room learns about its surroundings; shared by every room of a server. */
export interface RoomEnvironment {
  readonly system: ActorSystem
  /** Room id → room actor (unique keys); a room registers itself in `init`. */
  readonly registry: Registry
  /** Room messages are published here as encoded frames, once; the server bridges topics to the transport. */
  readonly bus: EventBus<string | Uint8Array>
  readonly history: HistoryStore
  readonly presence: PresenceStore
  /** Behaviour of a room id. */
  behaviourFor(roomId: string): RoomBehaviour
  /** Per-user presence events up to this many users; `presence_count` beyond. */
  readonly presenceLimit: number
  /** Messages sent in `history` right after `joined`. */
  readonly historyOnJoin: number
  /** How long an empty room lives before it stops (0 = at once). */
  readonly emptyGraceMs: number
  /** JSON encoder of server frames (encoded once per frame). */
  encode(frame: OutgoingFrame): string
  /** msgpack encoder, when the server speaks `hubbub.v1.msgpack`. */
  readonly encodeBinary: ((frame: OutgoingFrame) => Uint8Array) | undefined
  readonly observer: RoomObserver
  /** Rooms whose actor is running or crashed and restarting: a start that finds its id here is a restart. */
  readonly live: Set<string>
}

/** Hooks for stats and metrics; all optional, all synchronous and cheap. */
export interface RoomObserver {
  /** Users and connections in a room changed. */
  members?(roomId: string, users: number, connections: number): void
  /** A frame was published to a room's topic for `connections` local connections. */
  published?(roomId: string, connections: number): void
  /** A room actor is starting (before its init can fail); each call is matched by one `exited`. */
  started?(roomId: string, restarted: boolean): void
  /** An orderly stop finished (`terminate` ran). */
  stopped?(roomId: string): void
  /** A room actor is gone, for whatever reason (also after a failed init). */
  exited?(roomId: string, crashed: boolean): void
  /** A store call failed outside a handler (history append on the hot path). */
  error?(roomId: string, err: unknown): void
}

export interface JoinRequest {
  member: RoomMember
  since?: { offset: number; epoch: string } | undefined
  replyTo?: string | undefined
}

export type RoomReply = { ok: true } | { ok: false; code: ErrorCode; message: string }

export type RoomCall =
  | ({ type: 'join' } & JoinRequest)
  | { type: 'leave'; member: RoomMember; replyTo?: string | undefined }
  | { type: 'position' }

export type RoomCast =
  | { type: 'message'; member: RoomMember; text: string; replyTo?: string | undefined }
  | { type: 'typing'; member: RoomMember; isTyping: boolean }
  | {
      type: 'custom'
      member: RoomMember
      frame: { type: string } & Record<string, unknown>
      replyTo?: string | undefined
    }
  /** A chat message from the server itself (HTTP broadcast, `server.broadcast`). */
  | { type: 'announce'; from: string; text: string }
  /**
   * The member's connection ended (closed or crashed). Sent by the server from its exit
   * hook instead of a monitor per membership, which keeps idle connections small.
   */
  | { type: 'member_down'; member: RoomMember }

export type RoomInfo =
  | { type: 'idle'; generation: number }
  | { type: 'presence_tick' }
  | { type: 'scheduled'; message: ScheduledMessage }

export type RoomRef = GenServerRef<
  RoomCall,
  RoomCast,
  RoomReply | { epoch: string; offset: number },
  RoomInfo
>

/** A room's private state; mutated in place by its own actor only. */
export class RoomState {
  readonly topic: string
  readonly binaryTopic: string
  readonly members = new Map<AnyRef, RoomMember>()
  binaryMembers = 0
  users = 0
  offset = 0
  epoch = ''
  behaviourState: unknown
  idleGeneration = 0
  idleTimer: TimerRef | undefined = undefined
  presenceSentAt = 0
  presenceSentCount = -1
  presenceTimer: TimerRef | undefined = undefined

  constructor(
    readonly roomId: string,
    readonly env: RoomEnvironment,
    readonly behaviour: RoomBehaviour,
    readonly self: RoomRef,
  ) {
    this.topic = roomTopic(roomId)
    this.binaryTopic = roomBinaryTopic(roomId)
  }
}

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function'

function errorFrame(code: ErrorCode | string, message: string, replyTo: string | undefined): OutgoingFrame {
  const frame: OutgoingFrame = { type: 'error', code, message }
  if (replyTo !== undefined) frame.replyTo = replyTo
  return frame
}

function withReply(frame: OutgoingFrame, replyTo: string | undefined): OutgoingFrame {
  return replyTo === undefined ? frame : { ...frame, replyTo }
}

/** Encodes lazily per encoding, so a frame sent to many members is serialised at most once per encoding. */
class Encoded {
  #json: string | undefined
  #binary: Uint8Array | undefined
  constructor(
    readonly frame: OutgoingFrame,
    readonly env: RoomEnvironment,
  ) {}
  for(member: RoomMember): string | Uint8Array {
    if (member.binary && this.env.encodeBinary) {
      if (this.#binary === undefined) this.#binary = this.env.encodeBinary(this.frame)
      return this.#binary
    }
    if (this.#json === undefined) this.#json = this.env.encode(this.frame)
    return this.#json
  }
}

function sendFrame(s: RoomState, member: RoomMember, frame: OutgoingFrame): void {
  member.send(member.binary && s.env.encodeBinary ? s.env.encodeBinary(frame) : s.env.encode(frame))
}

/** Sends to every member connection except those of the named users: control frames only (presence, typing). */
function sendToOthers(s: RoomState, frame: OutgoingFrame, exclude: readonly string[]): void {
  const encoded = new Encoded(frame, s.env)
  for (const member of s.members.values()) {
    if (exclude.length > 0 && exclude.includes(member.user.name)) continue
    member.send(encoded.for(member))
  }
}

/** Publishes one frame to the whole room through the bus: encoded once per encoding in use. */
function publish(s: RoomState, frame: OutgoingFrame): void {
  const env = s.env
  env.bus.publish(s.topic, env.encode(frame))
  if (s.binaryMembers > 0 && env.encodeBinary) env.bus.publish(s.binaryTopic, env.encodeBinary(frame))
  env.observer.published?.(s.roomId, s.members.size)
}

/** The hot path: sequence, encode once, append, publish once. O(1) in the number of members. */
function publishMessage(s: RoomState, from: string, text: string): void {
  const env = s.env
  const offset = ++s.offset
  const frame = { type: 'message', roomId: s.roomId, from, text, timestamp: Date.now(), offset }
  const appended = env.history.append(s.roomId, frame)
  if (appended !== undefined && isThenable(appended)) {
    appended.then(undefined, (err: unknown) => env.observer.error?.(s.roomId, err))
  }
  publish(s, frame)
}

function toMessageFrame(roomId: string, m: StoredMessage): OutgoingFrame {
  return { type: 'message', roomId, from: m.from, text: m.text, timestamp: m.timestamp, offset: m.offset }
}

function memberNames(s: RoomState): string[] {
  const names = new Set<string>()
  for (const member of s.members.values()) names.add(member.user.name)
  return [...names]
}

/** Presence for one user change: per-user events in small rooms, throttled `presence_count` in large ones. */
function announcePresence(
  s: RoomState,
  kind: 'user_joined' | 'user_left',
  name: string,
  count: number,
): void {
  const limit = s.env.presenceLimit
  if (count < limit || (count === limit && kind === 'user_joined')) {
    // The user's own connections are not subscribed at this point (first in / last out): one
    // publish, encoded once and fanned out by the transport, instead of a send per member.
    publish(s, { type: kind, roomId: s.roomId, username: name })
    return
  }
  const now = Date.now()
  const wait = s.presenceSentAt + 1000 - now
  if (wait <= 0) {
    sendPresenceCount(s, now)
    return
  }
  s.presenceTimer ??= s.env.system.sendAfter(s.self, { type: 'presence_tick' }, wait)
}

function sendPresenceCount(s: RoomState, now: number): void {
  if (s.users === s.presenceSentCount) return
  s.presenceSentAt = now
  s.presenceSentCount = s.users
  publish(s, { type: 'presence_count', roomId: s.roomId, count: s.users })
}

function scheduleIdle(s: RoomState): void {
  if (s.members.size > 0) return
  const env = s.env
  if (s.idleTimer !== undefined) env.system.cancelTimer(s.idleTimer)
  s.idleTimer = env.system.sendAfter(
    s.self,
    { type: 'idle', generation: ++s.idleGeneration },
    env.emptyGraceMs,
  )
}

function cancelIdle(s: RoomState): void {
  if (s.idleTimer === undefined) return
  s.env.system.cancelTimer(s.idleTimer)
  s.idleTimer = undefined
  s.idleGeneration++
}

function report(s: RoomState): void {
  s.env.observer.members?.(s.roomId, s.users, s.members.size)
}

// ---------------------------------------------------------------- behaviour handlers

interface Invocation {
  member: RoomMember | undefined
  replyTo: string | undefined
}

function makeContext(s: RoomState, user: RoomUser | null, effects: RoomEffect[]): RoomContext<unknown> {
  return {
    roomId: s.roomId,
    user,
    state: s.behaviourState,
    get members() {
      return memberNames(s)
    },
    broadcast(frame, options = {}) {
      const ex = options.exclude
      effects.push({
        kind: 'broadcast',
        frame,
        exclude: ex === undefined ? [] : typeof ex === 'string' ? [ex] : ex,
      })
    },
    sendTo: (to, frame) => effects.push({ kind: 'sendTo', user: to, frame }),
    reply: (frame) => effects.push({ kind: 'reply', frame }),
    setState: (state) => effects.push({ kind: 'setState', state }),
    schedule: (message, ms) => effects.push({ kind: 'schedule', message, ms }),
    reject: (code, message) => effects.push({ kind: 'reject', code, message }),
  } as RoomContext<unknown>
}

function applyResult(
  s: RoomState,
  result: HandlerResult<unknown>,
  effects: RoomEffect[],
  inv: Invocation,
): void {
  if (result !== undefined && result !== null) {
    if (Array.isArray(result)) effects.push(...(result as RoomEffect[]))
    else {
      const r = result as { state?: unknown; effects?: readonly RoomEffect[] }
      if ('state' in r) effects.push({ kind: 'setState', state: r.state })
      if (r.effects) effects.push(...r.effects)
    }
  }
  for (const e of effects) {
    switch (e.kind) {
      case 'setState':
        s.behaviourState = e.state
        break
      case 'broadcast':
        if (e.exclude.length === 0) publish(s, e.frame)
        else sendToOthers(s, e.frame, e.exclude)
        break
      case 'sendTo': {
        const encoded = new Encoded(e.frame, s.env)
        for (const member of s.members.values())
          if (member.user.name === e.user) member.send(encoded.for(member))
        break
      }
      case 'reply':
        if (inv.member) sendFrame(s, inv.member, withReply(e.frame, inv.replyTo))
        break
      case 'reject':
        if (inv.member) sendFrame(s, inv.member, errorFrame(e.code, e.message, inv.replyTo))
        break
      case 'schedule':
        s.env.system.sendAfter(s.self, { type: 'scheduled', message: e.message }, Math.max(0, e.ms))
        break
    }
  }
}

/** Runs a behaviour handler; a throw (or rejection) propagates and crashes the room, as it should. */
function runHandler(
  s: RoomState,
  user: RoomUser | null,
  inv: Invocation,
  call: (ctx: RoomContext<unknown>) => HandlerResult<unknown> | Promise<HandlerResult<unknown>>,
): void | Promise<void> {
  const effects: RoomEffect[] = []
  const result = call(makeContext(s, user, effects))
  if (isThenable(result)) {
    return (result as Promise<HandlerResult<unknown>>).then((r) => applyResult(s, r, effects, inv))
  }
  applyResult(s, result, effects, inv)
}

// ---------------------------------------------------------------- membership

async function join(s: RoomState, req: JoinRequest): Promise<RoomReply> {
  const { member, replyTo } = req
  const env = s.env
  if (s.members.has(member.ref)) {
    return { ok: false, code: 'ALREADY_IN_ROOM', message: `already in room "${s.roomId}"` }
  }
  if (member.isClosed) return { ok: false, code: 'NOT_IN_ROOM', message: 'the connection is closed' }
  const name = member.user.name
  const added = await env.presence.add(s.roomId, { key: member.key, name })
  if ('taken' in added) {
    scheduleIdle(s)
    return { ok: false, code: 'USERNAME_TAKEN', message: `username "${name}" is taken in room "${s.roomId}"` }
  }
  cancelIdle(s)
  s.users = added.count
  // Announced before the joiner subscribes, so one publish reaches exactly the others.
  if (added.first) announcePresence(s, 'user_joined', name, added.count)
  s.members.set(member.ref, member)
  if (member.binary && env.encodeBinary) {
    s.binaryMembers++
    member.subscribe(s.binaryTopic)
  } else member.subscribe(s.topic)

  const limit = env.presenceLimit
  const listed = await env.presence.list(s.roomId, limit)
  const users = listed.users
  if (!users.includes(name)) {
    if (users.length >= limit && limit > 0) users[limit - 1] = name
    else users.push(name)
  }
  sendFrame(
    s,
    member,
    withReply(
      { type: 'joined', roomId: s.roomId, users, count: listed.count, offset: s.offset, epoch: s.epoch },
      replyTo,
    ),
  )
  await sendJoinHistory(s, req)
  report(s)
  if (added.first && s.behaviour.onJoin) {
    const onJoin = s.behaviour.onJoin
    await runHandler(s, member.user, { member, replyTo }, (ctx) => onJoin(ctx as never, s.behaviourState))
  }
  return { ok: true }
}

async function sendJoinHistory(s: RoomState, req: JoinRequest): Promise<void> {
  const env = s.env
  const roomId = s.roomId
  if (req.since !== undefined) {
    const r = await env.history.since(roomId, req.since)
    const messages = r.recovered ? r.messages : await env.history.recent(roomId, env.historyOnJoin)
    sendFrame(s, req.member, {
      type: 'history',
      roomId,
      messages: messages.map((m) => toMessageFrame(roomId, m)),
      recovered: r.recovered,
    })
    return
  }
  if (s.offset === 0 || env.historyOnJoin <= 0) return
  const messages = await env.history.recent(roomId, env.historyOnJoin)
  if (messages.length === 0) return
  sendFrame(s, req.member, {
    type: 'history',
    roomId,
    messages: messages.map((m) => toMessageFrame(roomId, m)),
  })
}

/** Removes a member (leave, disconnect or crash); `left` goes only to a member that asked. */
async function removeMember(
  s: RoomState,
  member: RoomMember,
  left: { replyTo: string | undefined } | undefined,
): Promise<void> {
  const env = s.env
  s.members.delete(member.ref)
  if (member.binary && env.encodeBinary) {
    s.binaryMembers--
    member.unsubscribe(s.binaryTopic)
  } else member.unsubscribe(s.topic)
  if (left) sendFrame(s, member, withReply({ type: 'left', roomId: s.roomId }, left.replyTo))
  const removed = await env.presence.remove(s.roomId, member.key)
  s.users = removed.count
  if (removed.last) announcePresence(s, 'user_left', member.user.name, removed.count)
  report(s)
  if (removed.last && s.behaviour.onLeave) {
    const onLeave = s.behaviour.onLeave
    await runHandler(s, member.user, { member: undefined, replyTo: undefined }, (ctx) =>
      onLeave(ctx as never, s.behaviourState),
    )
  }
  scheduleIdle(s)
}

function notInRoom(s: RoomState, member: RoomMember, replyTo: string | undefined): void {
  sendFrame(s, member, errorFrame('NOT_IN_ROOM', `not in room "${s.roomId}"`, replyTo))
}

// ---------------------------------------------------------------- the GenServer

export interface RoomArgs {
  roomId: string
  env: RoomEnvironment
}

/**
 * One room: the sequencer of its messages and the owner of its members and state.
 * Control (join, leave, presence, behaviour handlers) runs here; chat messages take
 * one O(1) step (offset, encode once, append, publish once) and fan out at the transport.
 */
export const RoomActor: GenServer<RoomArgs, RoomState, RoomCall, RoomCast, unknown, RoomInfo> = {
  async init({ roomId, env }, self) {
    // Registered before anything else: a second incarnation racing an old one fails here, and the caller retries.
    env.registry.register(roomId, self)
    const behaviour = env.behaviourFor(roomId)
    const restarted = env.live.has(roomId)
    env.live.add(roomId)
    // A restart cannot trust what the crashed incarnation left: new epoch, empty presence.
    let state: RoomState | undefined
    env.observer.started?.(roomId, restarted)
    // One exit watch per room (not a monitor per member): after a crash, whoever was in
    // the lost incarnation is told, so clients rejoin the restarted room.
    void env.system.whenExited(self).then((reason) => {
      const crashed = typeof reason === 'object' && 'error' in reason
      if (crashed && state) for (const member of state.members.values()) member.roomLost(roomId, self)
      env.observer.exited?.(roomId, crashed)
    })
    if (restarted) await env.presence.clear(roomId)
    const position = await env.history.open(roomId, { fresh: restarted })
    const s = new RoomState(roomId, env, behaviour, self as RoomRef)
    state = s
    s.epoch = position.epoch
    s.offset = position.offset
    s.behaviourState = behaviour.init ? behaviour.init(roomId) : undefined
    report(s)
    if (restarted) scheduleIdle(s)
    return s
  },

  async handleCall(msg, _from, s) {
    switch (msg.type) {
      case 'join':
        return { reply: await join(s, msg), state: s }
      case 'leave': {
        const entry = s.members.get(msg.member.ref)
        if (!entry)
          return { reply: { ok: false, code: 'NOT_IN_ROOM', message: `not in room "${s.roomId}"` }, state: s }
        await removeMember(s, entry, { replyTo: msg.replyTo })
        return { reply: { ok: true }, state: s }
      }
      case 'position':
        return { reply: { epoch: s.epoch, offset: s.offset }, state: s }
    }
  },

  handleCast(msg, s) {
    switch (msg.type) {
      case 'message': {
        const entry = s.members.get(msg.member.ref)
        if (!entry) {
          notInRoom(s, msg.member, msg.replyTo)
          return s
        }
        const accept = s.behaviour.acceptText
        if (accept && !accept(msg.member.user, msg.text, s.behaviourState)) {
          sendFrame(s, msg.member, errorFrame('FORBIDDEN', 'message refused by the room', msg.replyTo))
          return s
        }
        publishMessage(s, msg.member.user.name, msg.text)
        return s
      }
      case 'announce':
        publishMessage(s, msg.from, msg.text)
        return s
      case 'member_down': {
        const member = s.members.get(msg.member.ref)
        return member === undefined ? s : removeMember(s, member, undefined).then(() => s)
      }
      case 'typing': {
        if (!s.members.has(msg.member.ref)) {
          notInRoom(s, msg.member, undefined)
          return s
        }
        const name = msg.member.user.name
        sendToOthers(s, { type: 'typing', roomId: s.roomId, username: name, isTyping: msg.isTyping }, [name])
        return s
      }
      case 'custom': {
        const { member, replyTo } = msg
        if (!s.members.has(member.ref)) {
          notInRoom(s, member, replyTo)
          return s
        }
        const onMessage = s.behaviour.onMessage
        if (!onMessage) {
          sendFrame(
            s,
            member,
            errorFrame('UNKNOWN_MESSAGE', `room "${s.roomId}" does not handle "${msg.frame.type}"`, replyTo),
          )
          return s
        }
        const r = runHandler(s, member.user, { member, replyTo }, (ctx) =>
          onMessage(ctx, msg.frame as never, s.behaviourState),
        )
        return r === undefined ? s : r.then(() => s)
      }
    }
  },

  handleInfo(msg, s, self) {
    const m = msg as RoomInfo | SystemMessage
    switch (m.type) {
      case 'idle':
        if (m.generation === s.idleGeneration && s.members.size === 0) {
          s.idleTimer = undefined
          void s.env.system.stop(self, 'normal').catch(() => {})
        }
        return s
      case 'presence_tick':
        s.presenceTimer = undefined
        sendPresenceCount(s, Date.now())
        return s
      case 'scheduled': {
        const onMessage = s.behaviour.onMessage
        if (!onMessage) return s
        const r = runHandler(s, null, { member: undefined, replyTo: undefined }, (ctx) =>
          onMessage(ctx, m.message as never, s.behaviourState),
        )
        return r === undefined ? s : r.then(() => s)
      }
      default:
        return s
    }
  },

  async terminate(reason, s) {
    // A crash keeps the id in `live`, so the restart opens a new epoch; an orderly stop forgets the room.
    if (typeof reason === 'object' && 'error' in reason) return
    const env = s.env
    env.live.delete(s.roomId)
    for (const member of s.members.values()) {
      member.unsubscribe(member.binary && env.encodeBinary ? s.binaryTopic : s.topic)
    }
    s.members.clear()
    await env.presence.clear(s.roomId)
    await env.history.close(s.roomId)
    s.users = 0
    report(s)
    env.observer.stopped?.(s.roomId)
  },
}
