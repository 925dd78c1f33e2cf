import type { AnyRef, GenServer } from '@hubbub/actor'
import { CloseCode, type ErrorCode } from '@hubbub/protocol'
import { type OutgoingFrame, type RoomLostCode, roomBinaryTopic, roomTopic } from '@hubbub/rooms'
import { BinaryFrame, type ConnectionRecord, type Membership } from './ConnectionRecord.js'
import { INSPECTOR_ROOM } from './inspector/InspectorFeed.js'
import { inspectorFrame } from './inspector/inspectorFrames.js'

export type ConnectionCast = string | Uint8Array | BinaryFrame
export type ConnectionInfoMessage =
  | { type: 'expired' }
  | { type: 'room_lost'; roomId: string; room: AnyRef; code?: RoomLostCode }

type Frame = { type: string; id?: string } & Record<string, any>

function send(conn: ConnectionRecord, frame: OutgoingFrame): void {
  conn.send(conn.core.encode(conn, frame))
}

function sendError(
  conn: ConnectionRecord,
  code: ErrorCode,
  message: string,
  replyTo: string | undefined,
): void {
  const frame: OutgoingFrame = { type: 'error', code, message }
  if (replyTo !== undefined) frame.replyTo = replyTo
  send(conn, frame)
}

function reply(conn: ConnectionRecord, frame: OutgoingFrame, replyTo: string | undefined): void {
  if (replyTo !== undefined) frame.replyTo = replyTo
  send(conn, frame)
}

/** Rate limit, then decode; answers what it refuses. Returns the frame to handle, or undefined. */
function admit(conn: ConnectionRecord, msg: ConnectionCast): Frame | undefined {
  const core = conn.core
  core.metrics.messagesIn.inc()
  conn.framesIn++
  const now = Date.now()
  const decision = conn.limiter.take(now)
  if (decision !== 'ok') {
    core.metrics.rateLimitHits.inc()
    conn.rateLimited++
    if (decision === 'abuse') {
      sendError(conn, 'RATE_LIMITED', 'sustained rate abuse; closing', undefined)
      core.closeConnection(conn, CloseCode.POLICY_VIOLATION, 'rate limit abuse')
      return undefined
    }
    // One error per second is enough to tell a flooding client; answering every frame would amplify the flood.
    if (conn.limiter.shouldTell(now)) {
      sendError(conn, 'RATE_LIMITED', `more than ${core.limits.ratePerSecond} frames per second`, undefined)
    }
    return undefined
  }
  const binary = msg instanceof BinaryFrame
  const data = binary ? msg.data : msg
  const decoder = conn.binary && core.binaryDecoder ? core.binaryDecoder : core.jsonDecoder
  const result = decoder.decodeClientFrame(data, binary)
  if (result.ok) {
    const frame = result.frame as Frame
    const limitOf = core.limitOf
    if (limitOf === undefined || typeof frame.roomId !== 'string' || !core.customTypes.has(frame.type))
      return frame
    const limit = limitOf(frame.roomId, frame.type)
    if (limit === undefined) return frame
    // Not in the room: the connection's bucket pays for the frame, and it is answered NOT_IN_ROOM.
    const membership = conn.membership(frame.roomId)
    if (membership === undefined) return frame
    // The room's behaviour limits this type itself (per user, or per connection): it does not use
    // up the connection's bucket.
    conn.limiter.refund()
    const typed = conn.typeBuckets(membership, limit.perUser).take(frame.type, limit.config, now)
    if (typed === 'ok') return frame
    core.metrics.rateLimitHits.inc()
    conn.rateLimited++
    if (typed === 'abuse') {
      sendError(conn, 'RATE_LIMITED', `sustained rate abuse of "${frame.type}"; closing`, undefined)
      core.closeConnection(conn, CloseCode.POLICY_VIOLATION, 'rate limit abuse')
    }
    // Over the type's limit: dropped and counted, unanswered (a game's inputs beyond the rate).
    return undefined
  }
  const error = result.error
  if (error.close !== undefined) {
    core.closeConnection(conn, error.close, error.message.slice(0, 100))
    return undefined
  }
  let code = error.code as ErrorCode
  // The schema names the failing field; a bad username has its own code in docs/PROTOCOL.md.
  if (code === 'INVALID_MESSAGE' && (error.path?.[0] === 'username' || error.path?.[0] === 'to')) {
    code = 'INVALID_USERNAME'
  }
  sendError(conn, code, error.message, error.replyTo)
  return undefined
}

async function join(conn: ConnectionRecord, frame: Frame): Promise<void> {
  const core = conn.core
  const roomId: string = frame.roomId
  const replyTo = frame.id
  if (roomId === INSPECTOR_ROOM) return inspectorFrame(conn, frame)
  if (conn.membership(roomId) !== undefined)
    return sendError(conn, 'ALREADY_IN_ROOM', `already in room "${roomId}"`, replyTo)
  if (conn.membershipCount >= core.limits.roomsPerConnection) {
    return sendError(
      conn,
      'ROOM_LIMIT',
      `at most ${core.limits.roomsPerConnection} rooms per connection`,
      replyTo,
    )
  }
  const username = typeof frame.username === 'string' ? frame.username.trim() : undefined
  const identity = conn.identity
  if (identity !== undefined) {
    if (username !== undefined && username !== identity.name) {
      return sendError(conn, 'FORBIDDEN', `this connection is authenticated as "${identity.name}"`, replyTo)
    }
    const authorize = core.auth?.authorizeJoin
    if (authorize !== undefined) {
      let allowed: boolean
      try {
        allowed = await authorize.call(core.auth, identity, roomId)
      } catch (err) {
        // A failing hook (say, a database down) is the server's problem, not a reason to drop the socket.
        core.logger.error({ err, roomId, userId: identity.userId }, 'authorizeJoin failed')
        return sendError(conn, 'INTERNAL', 'could not authorize the join', replyTo)
      }
      if (!allowed) return sendError(conn, 'FORBIDDEN', `not allowed to join room "${roomId}"`, replyTo)
    }
  } else if (conn.name === '') {
    // With an accepted `resume` it is back as a dropped connection, with that one's name and presence.
    if (typeof frame.resume !== 'string' || !resume(conn, frame.resume, username)) {
      if (username === undefined) return sendError(conn, 'INVALID_USERNAME', 'username is required', replyTo)
      conn.name = username
    }
  } else if (username !== undefined && username !== conn.name) {
    return sendError(conn, 'INVALID_USERNAME', `this connection is already known as "${conn.name}"`, replyTo)
  }
  if (conn.isClosed) return
  const firstName = conn.membershipCount === 0
  let joined: Awaited<ReturnType<typeof core.rooms.join>>
  try {
    joined = await core.rooms.join(roomId, { member: conn, since: frame.since, replyTo })
  } catch (err) {
    // The room could not start or kept dying (its supervisor gave up, a store failed).
    core.logger.error({ err, roomId }, 'join failed')
    if (identity === undefined && firstName && !core.directory.isNamed(conn) && conn.resumedKey === undefined)
      conn.name = ''
    return sendError(conn, 'INTERNAL', `could not join room "${roomId}"`, replyTo)
  }
  const { reply: result, ref } = joined
  if (!result.ok || ref === undefined) {
    // An anonymous name is only kept once a join with it succeeded.
    if (identity === undefined && firstName && !core.directory.isNamed(conn) && conn.resumedKey === undefined)
      conn.name = ''
    if (!result.ok) sendError(conn, result.code, result.message, replyTo)
    return
  }
  if (conn.isClosed) {
    // The socket closed while the join was under way: undo it, the exit hook has already run.
    core.system.cast(ref, { type: 'member_down', member: conn })
    return
  }
  // A room that limits a type per user: this connection holds its user's buckets while it is in it.
  const user = core.userLimited?.(roomId) ? core.userRateLimits.acquire(roomId, conn.key) : undefined
  const membership: Membership = { roomId, ref, user, own: undefined }
  conn.addMembership(membership)
  core.directory.named(conn)
}

/**
 * `join.resume` on a connection's first join: takes over the name and presence key of the closed
 * connection the token was given to (docs/PROTOCOL.md, "Presence grace"). False when the token is
 * not accepted; the join then goes on without it.
 */
function resume(conn: ConnectionRecord, token: string, username: string | undefined): boolean {
  if (conn.membershipCount > 0) return false
  const owner = conn.core.takeResumable(token, username)
  if (owner === undefined) return false
  conn.resumedKey = owner.key
  conn.name = owner.name
  return true
}

async function leave(conn: ConnectionRecord, frame: Frame): Promise<void> {
  const roomId: string = frame.roomId
  const membership = conn.removeMembership(roomId)
  if (membership === undefined && roomId === INSPECTOR_ROOM) return inspectorFrame(conn, frame)
  if (membership === undefined) return sendError(conn, 'NOT_IN_ROOM', `not in room "${roomId}"`, frame.id)
  try {
    const result = (await conn.core.system.call(membership.ref, {
      type: 'leave',
      member: conn,
      replyTo: frame.id,
    })) as { ok: boolean }
    if (!result.ok) reply(conn, { type: 'left', roomId }, frame.id)
  } catch {
    // The room died meanwhile: its members are gone with it, so the leave is done.
    unsubscribeRoom(conn, roomId)
    reply(conn, { type: 'left', roomId }, frame.id)
  }
}

function unsubscribeRoom(conn: ConnectionRecord, roomId: string): void {
  conn.unsubscribe(conn.binary && conn.core.binaryDecoder ? roomBinaryTopic(roomId) : roomTopic(roomId))
}

function sendPrivate(conn: ConnectionRecord, frame: Frame): void | Promise<void> {
  if (conn.name === '') {
    sendError(
      conn,
      'NOT_IDENTIFIED',
      'join a room (or authenticate) before sending private messages',
      frame.id,
    )
    return
  }
  const to: string = frame.to.trim()
  const out: OutgoingFrame = { type: 'private', from: conn.name, to, text: frame.text, timestamp: Date.now() }
  // The directory sends it to the others named `to` and counts them all (a cluster one may answer later).
  const named = conn.core.directory.sendPrivate(conn, to, out)
  if (typeof named === 'number') return privateSent(conn, out, named, frame.id)
  return named.then((n) => privateSent(conn, out, n, frame.id))
}

function privateSent(
  conn: ConnectionRecord,
  out: OutgoingFrame,
  named: number,
  replyTo: string | undefined,
): void {
  if (named === 0) {
    sendError(conn, 'USER_NOT_FOUND', `no user named "${out.to as string}"`, replyTo)
    return
  }
  // The echo is the direct answer to the sender's frame, so it carries replyTo.
  reply(conn, out, replyTo)
}

function handleFrame(conn: ConnectionRecord, frame: Frame): void | Promise<void> {
  const core = conn.core
  const replyTo = frame.id
  switch (frame.type) {
    case 'message': {
      const membership = conn.membership(frame.roomId)
      if (membership === undefined) {
        if (frame.roomId === INSPECTOR_ROOM) return inspectorFrame(conn, frame)
        return sendError(conn, 'NOT_IN_ROOM', `not in room "${frame.roomId}"`, replyTo)
      }
      core.system.cast(membership.ref, { type: 'message', member: conn, text: frame.text, replyTo })
      return
    }
    case 'typing': {
      const membership = conn.membership(frame.roomId)
      if (membership === undefined)
        return sendError(conn, 'NOT_IN_ROOM', `not in room "${frame.roomId}"`, replyTo)
      core.system.cast(membership.ref, { type: 'typing', member: conn, isTyping: frame.isTyping })
      return
    }
    case 'join':
      return join(conn, frame)
    case 'leave':
      return leave(conn, frame)
    case 'ping':
      return reply(conn, { type: 'pong', timestamp: Date.now() }, replyTo)
    case 'private':
      return sendPrivate(conn, frame)
    case 'list_rooms':
    case 'list_users':
    case 'get_history':
      return query(conn, frame)
    default: {
      // An app's own frame (defineRoom messages): routed to the room it names.
      const roomId = frame.roomId
      const membership = typeof roomId === 'string' ? conn.membership(roomId) : undefined
      if (membership === undefined)
        return sendError(conn, 'NOT_IN_ROOM', `not in room "${String(roomId)}"`, replyTo)
      const { id: _id, ...body } = frame
      const checked = !core.sharedTypes.has(frame.type)
      core.system.cast(membership.ref, { type: 'custom', member: conn, frame: body, replyTo, checked })
      return
    }
  }
}

/** Read-only answers straight from the stores: no room actor hop. */
async function query(conn: ConnectionRecord, frame: Frame): Promise<void> {
  const core = conn.core
  const replyTo = frame.id
  const env = core.rooms.env
  if (frame.type === 'list_rooms') {
    return reply(conn, { type: 'room_list', rooms: await env.presence.rooms() }, replyTo)
  }
  const roomId: string = frame.roomId
  if (frame.type === 'list_users') {
    const list = await env.presence.list(roomId, core.limits.presenceLimit)
    return reply(conn, { type: 'user_list', roomId, users: list.users, count: list.count }, replyTo)
  }
  if (conn.membership(roomId) === undefined)
    return sendError(conn, 'NOT_IN_ROOM', `not in room "${roomId}"`, replyTo)
  const limit = typeof frame.limit === 'number' ? frame.limit : core.limits.historyDefaultLimit
  const read = await env.log.read(roomId, { limit })
  // The wire's history carries chat messages; other sequenced frames of the room stay in the log.
  const messages = read.messages.filter((m) => m.type === 'message')
  return reply(conn, { type: 'history', roomId, messages }, replyTo)
}

/**
 * A room this connection is in crashed (`INTERNAL`: the client rejoins with `since` and recovers), or
 * its shared log lost its data (`ROOM_RESET`: the client joins afresh): tell the client, then `left`.
 */
function roomLost(
  conn: ConnectionRecord,
  roomId: string,
  room: AnyRef,
  code: RoomLostCode = 'INTERNAL',
): void {
  if (conn.membership(roomId)?.ref !== room) return
  conn.removeMembership(roomId)
  if (code === 'ROOM_RESET') {
    sendError(
      conn,
      'ROOM_RESET',
      `room "${roomId}" lost its history and starts again; join it again`,
      undefined,
    )
  } else sendError(conn, 'INTERNAL', `room "${roomId}" restarted; join it again`, undefined)
  send(conn, { type: 'left', roomId })
}

/**
 * One per socket, under a `simple_one_for_one` supervisor with restart `temporary`.
 * Frames are handled in arrival order; a throw crashes only this actor, and the
 * server then closes its socket with 1011 (the rooms see DOWN and drop the member).
 */
export const ConnectionActor: GenServer<
  ConnectionRecord,
  ConnectionRecord,
  never,
  ConnectionCast,
  never,
  ConnectionInfoMessage
> = {
  init(conn, self) {
    conn.ref = self
    const expiresAt = conn.identity?.expiresAt
    if (expiresAt !== undefined) {
      const ms = Math.max(0, Math.min(expiresAt - Date.now(), 2 ** 31 - 1))
      conn.core.system.sendAfter(self, { type: 'expired' }, ms)
    }
    return conn
  },

  handleCast(msg, conn) {
    if (conn.isClosed) return conn
    const frame = admit(conn, msg)
    if (frame === undefined) return conn
    const r = handleFrame(conn, frame)
    return r instanceof Promise ? r.then(() => conn) : conn
  },

  handleInfo(msg, conn) {
    const m = msg as ConnectionInfoMessage
    if (m.type === 'room_lost') roomLost(conn, m.roomId, m.room, m.code)
    else if (m.type === 'expired') conn.core.closeConnection(conn, CloseCode.TOKEN_EXPIRED, 'token expired')
    return conn
  },
}
