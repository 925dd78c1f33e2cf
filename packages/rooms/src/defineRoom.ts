import type { z } from 'zod'

/** Who sent a frame into a room. */
export interface RoomUser {
  /** Display name in this room (identity name, or the anonymous username). */
  readonly name: string
  /** The authenticated user id; undefined for anonymous connections. */
  readonly userId: string | undefined
  readonly orgId: string | undefined
  readonly connectionId: string
}

/** A server frame a behaviour sends; any JSON object with a `type`. */
export type OutgoingFrame = { type: string } & Record<string, unknown>

/** A frame type as small as a behaviour may narrow its outgoing frames to. */
type AnyFrame = { type: string }

/** What a handler asks the room to do. `O`: the frames it may send (see `RoomDefinition.emits`). */
export type RoomEffect<S = unknown, O extends AnyFrame = OutgoingFrame> =
  | { kind: 'publish'; frame: O }
  | { kind: 'broadcast'; frame: O; exclude: readonly string[] }
  | { kind: 'sendTo'; user: string; frame: O }
  | { kind: 'reply'; frame: O }
  | { kind: 'setState'; state: S }
  | ({ kind: 'schedule'; message: ScheduledMessage; ms: number } & ScheduleOptions)
  | { kind: 'cancel'; key: string }
  | { kind: 'reject'; code: string; message: string }

/** A message the room delivers to its own `onTimer` (else `onMessage`) later (`ctx.user` is null then). */
export type ScheduledMessage = { type: string } & Record<string, unknown>

/** How a room timer runs (see `schedule`). */
export interface ScheduleOptions {
  /**
   * Names the timer: `cancel(key)` stops it, and scheduling the same key again replaces it
   * (a turn timer restarted on every move). Unnamed timers cannot be cancelled.
   */
  key?: string
  /**
   * Repeats every `ms` until cancelled (a room tick). Deadlines follow the first one, so the tick
   * does not drift; a tick that falls more than one period behind is skipped, not run in a burst.
   */
  every?: boolean
}

/** The timer a call runs for (`ctx.timer`): its key, when it was due, and how late it ran. */
export interface TimerInfo {
  readonly key: string | undefined
  /** `Date.now()` at which it was due. */
  readonly due: number
  /** How long after `due` the handler started (event-loop and mailbox delay), ms. */
  readonly lateMs: number
}

/**
 * Sequences `frame` through the room's log: it gets the room's next offset, is stored, and
 * reaches every member on every node (the sender included) in one order, recoverable by
 * offset after a reconnect. Chat messages take this path. The wire's `history` frame carries
 * `message` frames; other sequenced frames are kept in the log for the room's own replay.
 */
export function publish<S = unknown, const O extends AnyFrame = OutgoingFrame>(frame: O): RoomEffect<S, O> {
  return { kind: 'publish', frame }
}

/** Sends `frame` to every member (encoded once), unsequenced; `exclude` names users who do not get it. */
export function broadcast<S = unknown, const O extends AnyFrame = OutgoingFrame>(
  frame: O,
  options: { exclude?: string | readonly string[] } = {},
): RoomEffect<S, O> {
  const ex = options.exclude
  return { kind: 'broadcast', frame, exclude: ex === undefined ? [] : typeof ex === 'string' ? [ex] : ex }
}

/** Sends `frame` to every connection of the member named `user`. */
export function sendTo<S = unknown, const O extends AnyFrame = OutgoingFrame>(
  user: string,
  frame: O,
): RoomEffect<S, O> {
  return { kind: 'sendTo', user, frame }
}

/** Sends `frame` to the connection whose frame is being handled (with its `replyTo`). */
export function reply<S = unknown, const O extends AnyFrame = OutgoingFrame>(frame: O): RoomEffect<S, O> {
  return { kind: 'reply', frame }
}

/** Replaces the room's state. */
export function setState<S>(state: S): RoomEffect<S, never> {
  return { kind: 'setState', state }
}

/**
 * Delivers `message` to this room's `onTimer` (else `onMessage`) after `ms`: a room timer, gone if the
 * room stops or crashes (re-arm it in `onStart`). `key` makes it cancellable, `every` repeats it.
 */
export function schedule<S = never>(
  message: ScheduledMessage,
  ms: number,
  options: ScheduleOptions = {},
): RoomEffect<S, never> {
  return { kind: 'schedule', message, ms, ...options }
}

/** Stops the room timer named `key` (nothing happens when there is none). */
export function cancel<S = never>(key: string): RoomEffect<S, never> {
  return { kind: 'cancel', key }
}

/** Answers the handled frame with an `error` frame (`code` from the error codes of docs/PROTOCOL.md). */
export function reject<S = never>(code: string, message: string): RoomEffect<S, never> {
  return { kind: 'reject', code, message }
}

/** What a handler may return: nothing, effects, or a new state with effects. */
export type HandlerResult<S, O extends AnyFrame = OutgoingFrame> =
  | void
  | undefined
  | readonly RoomEffect<S, O>[]
  | { state?: S; effects?: readonly RoomEffect<S, O>[] }

/** A handler's return: its result, at once or later (the room waits, in order). */
type Handled<S, O extends AnyFrame> = HandlerResult<S, O> | Promise<HandlerResult<S, O>>

/** The handler's view of the room; the effect methods apply in call order, before returned effects. */
export interface RoomContext<S, O extends AnyFrame = OutgoingFrame> {
  readonly roomId: string
  /** The member who caused this call; null for timers and `onStart`. */
  readonly user: RoomUser | null
  /** The room's state as of this call. */
  readonly state: S
  /** Names of the users in the room. */
  readonly members: readonly string[]
  /** The timer this call runs for; null otherwise. */
  readonly timer: TimerInfo | null
  /** The `id` of the client frame this call handles (its replies carry it as `replyTo`), if it had one. */
  readonly frameId?: string | undefined
  publish(frame: O): void
  broadcast(frame: O, options?: { exclude?: string | readonly string[] }): void
  sendTo(user: string, frame: O): void
  reply(frame: O): void
  setState(state: S): void
  schedule(message: ScheduledMessage, ms: number, options?: ScheduleOptions): void
  cancel(key: string): void
  reject(code: string, message: string): void
}

/** The context of a join or leave: there is always a user. */
export interface MemberContext<S, O extends AnyFrame = OutgoingFrame> extends RoomContext<S, O> {
  readonly user: RoomUser
}

type MessageSchemas = Record<string, z.ZodType>

/**
 * The frames a behaviour that declares `emits` may send: one of its declared server frames, or the
 * chat `message` frame the default `onText` publishes.
 */
export type EmittedFrame<E extends MessageSchemas> =
  | { [K in keyof E & string]: { type: K } & z.input<E[K]> }[keyof E & string]
  | ChatMessageFrame

/** The chat `message` frame, as a behaviour publishes it (the log adds its offset). */
export type ChatMessageFrame = {
  type: 'message'
  roomId: string
  from: string
  text: string
  timestamp: number
}

/** The outgoing frames of a behaviour: typed by `emits` when it declares any, any object with a `type` otherwise. */
export type FramesOf<E extends MessageSchemas> = string extends keyof E
  ? OutgoingFrame
  : [keyof E] extends [never]
    ? OutgoingFrame
    : EmittedFrame<E>

/** Per-message-type rate limit of a behaviour (see `RoomDefinition.rateLimits`). */
export interface MessageRateLimit {
  /** Sustained frames per second of this type, per user (or per connection: see `per`). */
  perSecond: number
  /** Bucket size. Default: `perSecond`. */
  burst?: number
  /** Being over this limit for this long (ms) closes the connection (1008). Default: the server's `rateAbuseMs`. */
  abuseMs?: number
  /**
   * Whose bucket it is, in each room. `'user'` (default): one bucket per user, which all of the
   * user's connections in the room share, so a second tab or device does not double the rate a
   * player gets. `'connection'`: one per connection, for a type each connection sends for itself
   * (say, one caret per open editor). An anonymous connection is a user of its own. The server keeps a
   * user's bucket while the user has a connection in the room, on each node (not across nodes).
   */
  per?: 'user' | 'connection'
}

/** The decoded custom messages of a behaviour: `{ type: K } & body`. */
export type RoomMessage<M extends MessageSchemas> = {
  [K in keyof M & string]: { type: K } & z.output<M[K]>
}[keyof M & string]

export interface RoomDefinition<S, M extends MessageSchemas, E extends MessageSchemas = {}> {
  /** For logs and stats. Default 'room'. */
  name?: string
  /**
   * Custom client frames this room accepts, by `type`: zod schemas of the body
   * (the frame minus `type`, `roomId` and `id`). Chat frames (`message`, `typing`…)
   * are handled by the room itself and need no entry.
   */
  messages?: M
  /**
   * The server frames this behaviour sends, by `type`: zod objects of the body (the same shapes
   * the client passes to `defineMessages` as its server frames). When given, every frame of an
   * effect is type-checked against them (`EmittedFrame`); the room does not validate at run time.
   */
  emits?: E
  /**
   * Rate limits per custom message type, per user and room (`per: 'connection'` for one bucket per
   * connection), in place of the connection's own limit (which these frames then do not use up): a
   * game's `input` at 30/s and `cursor` at 30/s next to the chat limit of 20/s. Frames over the
   * limit are dropped unanswered and counted (`rate_limit_hits_total`, the sending connection's
   * `rateLimited`); a connection whose frame finds its bucket over the limit for `abuseMs` is
   * closed (1008).
   */
  rateLimits?: { readonly [K in keyof M & string]?: MessageRateLimit }
  /** The initial state of a new (or restarted) room; may be asynchronous (loading a level, a deck). */
  init?: (roomId: string) => S | Promise<S>
  /**
   * Runs once the room has its state (from `init`, or restored after a crash), before any member
   * joins: arm the room's timers here (a tick, a turn timer), since a restarted room has none.
   */
  onStart?: (ctx: RoomContext<S, FramesOf<E>>, state: S) => Handled<S, FramesOf<E>>
  /** A user's first connection joined. */
  onJoin?: (ctx: MemberContext<S, FramesOf<E>>, state: S) => Handled<S, FramesOf<E>>
  /**
   * A connection joined, after `onJoin`: every one, also a user's second tab, a reconnect within the
   * presence grace (which is no new join for `onJoin`) and a rejoin after a crash. Send it the full
   * state with `ctx.reply` (to that connection only): it arrives before any later update.
   */
  onSync?: (ctx: MemberContext<S, FramesOf<E>>, state: S) => Handled<S, FramesOf<E>>
  /** A user's last connection left (leave, disconnect or crash). */
  onLeave?: (ctx: MemberContext<S, FramesOf<E>>, state: S) => Handled<S, FramesOf<E>>
  /**
   * A custom message from a member (of a type in `messages`), or, when there is no `onTimer`, a
   * scheduled one (`ctx.user === null`). A throw crashes the room.
   */
  onMessage?: (ctx: RoomContext<S, FramesOf<E>>, message: RoomMessage<M>, state: S) => Handled<S, FramesOf<E>>
  /** A room timer fired (`schedule`): `ctx.timer` says which and how late. A throw crashes the room. */
  onTimer?: (ctx: RoomContext<S, FramesOf<E>>, message: ScheduledMessage, state: S) => Handled<S, FramesOf<E>>
  /**
   * A chat `message` frame from a member. Default (`chatText`): refused with `FORBIDDEN` when
   * `acceptText` says no, otherwise published through the log as a `message` frame. It runs
   * on the hot path: keep it cheap.
   */
  onText?: (ctx: MemberContext<S, FramesOf<E>>, text: string, state: S) => Handled<S, FramesOf<E>>
  /** Refuses chat messages (the sender gets `FORBIDDEN`) for the default `onText`. */
  acceptText?: (user: RoomUser, text: string, state: S) => boolean
  /**
   * Keep the state in the server's `RoomStateStore`: a starting (or restarted) room restores
   * the last saved state instead of calling `init`, and every handler that sets state saves
   * it with the room's current log offset. Default false.
   */
  persist?: boolean
  /**
   * With `persist`: applies one sequenced frame published after the snapshot was saved, so a
   * restored room catches up with its log (frames after the snapshot's offset, oldest first).
   * In a `shared` room it also applies, live and in offset order, every frame of the room that
   * any node publishes, this node's own included, so every node's copy follows the log: it must
   * then take a frame whose effect the state already has (a Yjs update does), and a snapshot
   * covers the last frame applied.
   */
  replay?: (state: S, frame: OutgoingFrame & { offset: number }) => S
  /**
   * With `persist`: what is saved for `state` (default: the state itself). For a state that is a
   * live object (a Yjs document), return a value the store can keep, e.g. its encoded bytes.
   */
  snapshot?: (state: S) => unknown
  /** With `persist`: turns a saved snapshot back into the state, before `replay` (default: as saved). */
  restore?: (saved: unknown, roomId: string) => S
  /**
   * Where the room may run when several nodes share a log. `shared`: every node runs its own
   * copy and the log orders what they publish (chat, where all state is in the log). `owned`:
   * the rules hold authoritative state, so exactly one node may run them (a game). Default:
   * `owned` when the behaviour has `init` or `persist`, `shared` otherwise.
   */
  placement?: RoomPlacement
}

/** See `RoomDefinition.placement`. */
export type RoomPlacement = 'shared' | 'owned'

/** A room behaviour: what `createServer({ rooms })` runs inside each room actor. */
export interface RoomBehaviour<S = any, M extends MessageSchemas = any, E extends MessageSchemas = any>
  extends RoomDefinition<S, M, E> {
  readonly name: string
  readonly messages: M
  readonly placement: RoomPlacement
}

/**
 * The default `onText`: a chat message, refused with `FORBIDDEN` when `accept` says no,
 * otherwise sequenced and fanned out to every member (the sender included) as a `message` frame.
 */
export function chatText<S>(
  ctx: MemberContext<S, any>,
  text: string,
  state: S,
  accept?: (user: RoomUser, text: string, state: S) => boolean,
): void {
  if (accept && !accept(ctx.user, text, state)) {
    ctx.reject('FORBIDDEN', 'message refused by the room')
    return
  }
  ctx.publish({ type: 'message', roomId: ctx.roomId, from: ctx.user.name, text, timestamp: Date.now() })
}

/** Declares a room behaviour: typed custom messages, state, and handlers that return or call effects. */
export function defineRoom<S = undefined, M extends MessageSchemas = {}, E extends MessageSchemas = {}>(
  definition: RoomDefinition<S, M, E>,
): RoomBehaviour<S, M, E> {
  const accept = definition.acceptText
  return {
    onText: (ctx, text, state) => chatText(ctx, text, state, accept),
    ...definition,
    name: definition.name ?? 'room',
    messages: definition.messages ?? ({} as M),
    placement:
      definition.placement ?? (definition.init !== undefined || definition.persist ? 'owned' : 'shared'),
  }
}

/** The default behaviour: the chat room of docs/PROTOCOL.md, built from the same effects as any room. */
export const chatRoom: RoomBehaviour<undefined, {}> = defineRoom({ name: 'chat' })
