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

/** What a handler asks the room to do. */
export type RoomEffect<S = unknown> =
  | { kind: 'publish'; frame: OutgoingFrame }
  | { kind: 'broadcast'; frame: OutgoingFrame; exclude: readonly string[] }
  | { kind: 'sendTo'; user: string; frame: OutgoingFrame }
  | { kind: 'reply'; frame: OutgoingFrame }
  | { kind: 'setState'; state: S }
  | { kind: 'schedule'; message: ScheduledMessage; ms: number }
  | { kind: 'reject'; code: string; message: string }

/** A message the room delivers to its own `onMessage` later (`ctx.user` is null then). */
export type ScheduledMessage = { type: string } & Record<string, unknown>

/**
 * Sequences `frame` through the room's log: it gets the room's next offset, is stored, and
 * reaches every member on every node (the sender included) in one order, recoverable by
 * offset after a reconnect. Chat messages take this path. The wire's `history` frame carries
 * `message` frames; other sequenced frames are kept in the log for the room's own replay.
 */
export function publish<S = unknown>(frame: OutgoingFrame): RoomEffect<S> {
  return { kind: 'publish', frame }
}

/** Sends `frame` to every member (encoded once), unsequenced; `exclude` names users who do not get it. */
export function broadcast<S = unknown>(
  frame: OutgoingFrame,
  options: { exclude?: string | readonly string[] } = {},
): RoomEffect<S> {
  const ex = options.exclude
  return { kind: 'broadcast', frame, exclude: ex === undefined ? [] : typeof ex === 'string' ? [ex] : ex }
}

/** Sends `frame` to every connection of the member named `user`. */
export function sendTo<S = unknown>(user: string, frame: OutgoingFrame): RoomEffect<S> {
  return { kind: 'sendTo', user, frame }
}

/** Sends `frame` to the connection whose frame is being handled (with its `replyTo`). */
export function reply<S = unknown>(frame: OutgoingFrame): RoomEffect<S> {
  return { kind: 'reply', frame }
}

/** Replaces the room's state. */
export function setState<S>(state: S): RoomEffect<S> {
  return { kind: 'setState', state }
}

/** Delivers `message` to this room's `onMessage` after `ms` (a room timer; gone if the room stops). */
export function schedule<S = unknown>(message: ScheduledMessage, ms: number): RoomEffect<S> {
  return { kind: 'schedule', message, ms }
}

/** Answers the handled frame with an `error` frame (`code` from the error codes of docs/PROTOCOL.md). */
export function reject<S = unknown>(code: string, message: string): RoomEffect<S> {
  return { kind: 'reject', code, message }
}

/** What a handler may return: nothing, effects, or a new state with effects. */
export type HandlerResult<S> =
  | void
  | undefined
  | readonly RoomEffect<S>[]
  | { state?: S; effects?: readonly RoomEffect<S>[] }

/** The handler's view of the room; the effect methods apply in call order, before returned effects. */
export interface RoomContext<S> {
  readonly roomId: string
  /** The member who caused this call; null for scheduled messages. */
  readonly user: RoomUser | null
  /** The room's state as of this call. */
  readonly state: S
  /** Names of the users in the room. */
  readonly members: readonly string[]
  publish(frame: OutgoingFrame): void
  broadcast(frame: OutgoingFrame, options?: { exclude?: string | readonly string[] }): void
  sendTo(user: string, frame: OutgoingFrame): void
  reply(frame: OutgoingFrame): void
  setState(state: S): void
  schedule(message: ScheduledMessage, ms: number): void
  reject(code: string, message: string): void
}

/** The context of a join or leave: there is always a user. */
export interface MemberContext<S> extends RoomContext<S> {
  readonly user: RoomUser
}

type MessageSchemas = Record<string, z.ZodType>

/** The decoded custom messages of a behaviour: `{ type: K } & body`. */
export type RoomMessage<M extends MessageSchemas> = {
  [K in keyof M & string]: { type: K } & z.output<M[K]>
}[keyof M & string]

export interface RoomDefinition<S, M extends MessageSchemas> {
  /** For logs and stats. Default 'room'. */
  name?: string
  /**
   * Custom client frames this room accepts, by `type`: zod schemas of the body
   * (the frame minus `type`, `roomId` and `id`). Chat frames (`message`, `typing`…)
   * are handled by the room itself and need no entry.
   */
  messages?: M
  /** The initial state of a new (or restarted) room. */
  init?: (roomId: string) => S
  /** A user's first connection joined. */
  onJoin?: (ctx: MemberContext<S>, state: S) => HandlerResult<S> | Promise<HandlerResult<S>>
  /** A user's last connection left (leave, disconnect or crash). */
  onLeave?: (ctx: MemberContext<S>, state: S) => HandlerResult<S> | Promise<HandlerResult<S>>
  /** A custom message from a member, or a scheduled one (`ctx.user === null`). A throw crashes the room. */
  onMessage?: (
    ctx: RoomContext<S>,
    message: RoomMessage<M>,
    state: S,
  ) => HandlerResult<S> | Promise<HandlerResult<S>>
  /**
   * A chat `message` frame from a member. Default (`chatText`): refused with `FORBIDDEN` when
   * `acceptText` says no, otherwise published through the log as a `message` frame. It runs
   * on the hot path: keep it cheap.
   */
  onText?: (ctx: MemberContext<S>, text: string, state: S) => HandlerResult<S> | Promise<HandlerResult<S>>
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
export interface RoomBehaviour<S = any, M extends MessageSchemas = any> extends RoomDefinition<S, M> {
  readonly name: string
  readonly messages: M
  readonly placement: RoomPlacement
}

/**
 * The default `onText`: a chat message, refused with `FORBIDDEN` when `accept` says no,
 * otherwise sequenced and fanned out to every member (the sender included) as a `message` frame.
 */
export function chatText<S>(
  ctx: MemberContext<S>,
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
export function defineRoom<S = undefined, M extends MessageSchemas = {}>(
  definition: RoomDefinition<S, M>,
): RoomBehaviour<S, M> {
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
