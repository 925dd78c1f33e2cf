import type { ErrorCode } from '@hubbub/protocol'
import type { OutgoingFrame } from './defineRoom.js'
import type { RoomEnvironment } from './RoomEnvironment.js'
import type { LogListener, LogPosition } from './RoomLog.js'
import type { RoomMember } from './RoomMember.js'
import type { RoomState } from './RoomState.js'

export const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function'

export function errorFrame(
  code: ErrorCode | string,
  message: string,
  replyTo: string | undefined,
): OutgoingFrame {
  const frame: OutgoingFrame = { type: 'error', code, message }
  if (replyTo !== undefined) frame.replyTo = replyTo
  return frame
}

export function withReply(frame: OutgoingFrame, replyTo: string | undefined): OutgoingFrame {
  return replyTo === undefined ? frame : { ...frame, replyTo }
}

/** Encodes lazily per encoding, so a frame sent to many members is serialised at most once per encoding. */
export class Encoded {
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

export function sendFrame(s: RoomState, member: RoomMember, frame: OutgoingFrame): void {
  member.send(member.binary && s.env.encodeBinary ? s.env.encodeBinary(frame) : s.env.encode(frame))
}

/** Sends to every member connection except those of the named users: control frames only (presence, typing). */
export function sendToOthers(s: RoomState, frame: OutgoingFrame, exclude: readonly string[]): void {
  const encoded = new Encoded(frame, s.env)
  for (const member of s.members.values()) {
    if (exclude.length > 0 && exclude.includes(member.user.name)) continue
    member.send(encoded.for(member))
  }
}

/** Sends `frame` to every connection of the member named `user`. */
export function sendToUser(s: RoomState, user: string, frame: OutgoingFrame): void {
  const encoded = new Encoded(frame, s.env)
  for (const member of s.members.values()) if (member.user.name === user) member.send(encoded.for(member))
}

/**
 * A frame to this node's members of the room only (each node tells its own): encoded once per
 * encoding its members use, handed to the room's topics, fanned out by the transport.
 */
export function deliverLocal(
  s: RoomState,
  frame: OutgoingFrame,
  env: Pick<RoomEnvironment, 'deliver' | 'encode' | 'encodeBinary' | 'observer'> = s.env,
): void {
  const size = s.members.size
  if (size === 0) return
  const binary = env.encodeBinary === undefined ? 0 : s.binaryMembers
  if (size > binary) env.deliver(s.topic, env.encode(frame))
  if (binary > 0) env.deliver(s.binaryTopic, env.encodeBinary!(frame))
  env.observer.published?.(s.roomId, size)
}

/**
 * Closes the room's presence window: the users who came and went in it, one `presence_diff` to
 * every local member, with the room's count after them. Nothing when the window is empty.
 */
export function flushPresence(s: RoomState): void {
  const batch = s.presenceBatch
  if (batch === undefined) return
  s.presenceBatch = undefined
  if (batch.size === 0) return
  const joins: string[] = []
  const leaves: string[] = []
  for (const [name, change] of batch) (change.joined ? joins : leaves).push(name)
  deliverLocal(s, { type: 'presence_diff', roomId: s.roomId, joins, leaves, count: s.presenceBatchCount })
}

/** An unsequenced frame to the whole room through the bus: encoded once per encoding in use. */
export function publishControl(s: RoomState, frame: OutgoingFrame): void {
  const env = s.env
  env.bus.publish(s.topic, env.encode(frame))
  if (s.binaryMembers > 0 && env.encodeBinary) env.bus.publish(s.binaryTopic, env.encodeBinary(frame))
  env.observer.published?.(s.roomId, s.members.size)
}

/**
 * The hot path: hands the frame to the log, which gives it the next offset, stores it and
 * delivers it to every node's listener (this one's included). O(1) in the number of members.
 * When the log cannot sequence it (a shared log whose store is unreachable), nobody receives
 * the frame, and the member it came from (if any) gets a retryable `UNAVAILABLE` error.
 *
 * On a shared log a frame sent by a member with an id is published with the key
 * `<connection id>:<frame id>:<n>` (`n`: the how-manieth publish of that handler run), so the
 * same frame sent again after `UNAVAILABLE` is not sequenced twice (see `PublishOptions`).
 */
export function publishSequenced(
  s: RoomState,
  frame: OutgoingFrame,
  from?: RoomMember,
  replyTo?: string,
  n = 0,
): void {
  const env = s.env
  const failed = (err: unknown): void => {
    env.observer.error?.(s.roomId, err)
    if (from !== undefined) {
      sendFrame(
        s,
        from,
        errorFrame('UNAVAILABLE', 'the message could not be sequenced; send it again', replyTo),
      )
    }
  }
  let position: LogPosition | PromiseLike<LogPosition>
  try {
    const id = from?.user.connectionId
    position =
      id === undefined || replyTo === undefined || env.log.shared !== true
        ? env.log.publish(s.roomId, frame)
        : env.log.publish(s.roomId, frame, { key: `${id}:${replyTo}:${n}` })
  } catch (err) {
    failed(err)
    return
  }
  if (!isThenable(position)) {
    published(s, position)
    return
  }
  position.then((p) => published(s, p), failed)
}

/**
 * The room's offset after one of its publishes: the highest seen. A `follows` room's offset
 * moves only as it applies frames (an earlier offset from another node may not have come yet).
 */
function published(s: RoomState, p: LogPosition): void {
  if (s.follows) return
  if (p.epoch !== s.epoch) {
    s.epoch = p.epoch
    s.offset = p.offset
  } else if (p.offset > s.offset) s.offset = p.offset
}

/**
 * This node's listener on the log: a sequenced frame, whoever published it, is encoded once
 * per encoding that local members use (msgpack only when some speak it) and handed to the
 * room's topics, where the transport fans it out. Nothing here is per recipient.
 */
export function createLogListener(
  env: Pick<RoomEnvironment, 'local' | 'deliver' | 'encode' | 'encodeBinary' | 'observer'>,
): LogListener {
  return (roomId, frame) => {
    const s = env.local.get(roomId)
    if (s === undefined) return
    // Who came before it is announced before what was said after.
    if (s.presenceBatch !== undefined) flushPresence(s)
    deliverLocal(s, frame, env)
    // Applied in the room's actor, in order with its handlers.
    if (s.follows) s.env.system.cast(s.self, { type: 'sequenced', frame })
  }
}
