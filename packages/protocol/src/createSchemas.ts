import { z } from 'zod'
import { ErrorCode } from './ErrorCode.js'
import type { Limits } from './Limits.js'

/** `roomId` characters: letters, digits and `_ . : -`. */
export const ROOM_ID_PATTERN = /^[A-Za-z0-9_.:-]+$/
/** Longest room history `epoch`. */
export const EPOCH_MAX_LENGTH = 64
/** Longest `join.resume` token (the server's are 32 characters). */
export const RESUME_TOKEN_MAX_LENGTH = 64

// C0 and C1 control characters (Unicode category Cc), written so JSON Schema validators read them alike.
const CONTROL = '\\x00-\\x1f\\x7f-\\x9f'

/**
 * A username is 1–`max` characters after trimming, with no control characters. Expressed as one
 * regular expression on the raw input so that JSON Schema validators accept exactly what zod does.
 */
export function usernamePattern(max: number): RegExp {
  const edge = `[^\\s${CONTROL}]`
  const inner = max >= 2 ? `(?:[^${CONTROL}]{0,${max - 2}}${edge})?` : ''
  return new RegExp(`^\\s*${edge}${inner}\\s*$`)
}

/** The zod schemas of every frame, bound to one set of limits. Client frames are strict objects. */
export function createSchemas(limits: Limits) {
  const id = z.string().min(1).max(limits.idMaxLength)
  const roomId = z.string().min(1).max(limits.roomIdMaxLength).regex(ROOM_ID_PATTERN, {
    error: 'Invalid roomId: use only letters, digits and _ . : -',
  })
  const username = z
    .string()
    .regex(usernamePattern(limits.usernameMaxLength), {
      error: `Invalid username: 1 to ${limits.usernameMaxLength} characters after trimming, no control characters`,
    })
    .trim()
  const text = z.string().min(1).max(limits.textMaxLength)
  const offset = z.int().min(0)
  const epoch = z.string().min(1).max(EPOCH_MAX_LENGTH)

  const client = {
    join: z.strictObject({
      type: z.literal('join'),
      id: id.exactOptional(),
      roomId,
      username: username.exactOptional(),
      since: z.strictObject({ offset, epoch }).exactOptional(),
      resume: z.string().min(1).max(RESUME_TOKEN_MAX_LENGTH).exactOptional(),
    }),
    leave: z.strictObject({ type: z.literal('leave'), id: id.exactOptional(), roomId }),
    message: z.strictObject({ type: z.literal('message'), id: id.exactOptional(), roomId, text }),
    list_rooms: z.strictObject({ type: z.literal('list_rooms'), id: id.exactOptional() }),
    list_users: z.strictObject({ type: z.literal('list_users'), id: id.exactOptional(), roomId }),
    get_history: z.strictObject({
      type: z.literal('get_history'),
      id: id.exactOptional(),
      roomId,
      limit: z.int().min(1).max(limits.historyMaxLimit).exactOptional(),
    }),
    typing: z.strictObject({
      type: z.literal('typing'),
      id: id.exactOptional(),
      roomId,
      isTyping: z.boolean(),
    }),
    private: z.strictObject({ type: z.literal('private'), id: id.exactOptional(), to: username, text }),
    ping: z.strictObject({ type: z.literal('ping'), id: id.exactOptional() }),
  }

  // Server frames are produced by trusted code: names and room ids are plain strings there, so a
  // client can read frames from a server configured with wider limits.
  const replyTo = z.string().exactOptional()
  const count = z.int().min(0)
  const ms = z.int().min(0)
  const roomMessage = z.strictObject({
    type: z.literal('message'),
    replyTo,
    roomId: z.string(),
    from: z.string(),
    text: z.string(),
    timestamp: ms,
    offset,
  })
  const server = {
    welcome: z.strictObject({
      type: z.literal('welcome'),
      replyTo,
      connectionId: z.string(),
      protocol: z.literal(1),
      serverTime: ms,
      heartbeatMs: ms,
      presenceGraceMs: ms,
      resumeToken: z.string().exactOptional(),
    }),
    joined: z.strictObject({
      type: z.literal('joined'),
      replyTo,
      roomId: z.string(),
      users: z.array(z.string()),
      count,
      offset,
      epoch: z.string(),
    }),
    history: z.strictObject({
      type: z.literal('history'),
      replyTo,
      roomId: z.string(),
      messages: z.array(roomMessage),
      recovered: z.boolean().exactOptional(),
    }),
    left: z.strictObject({ type: z.literal('left'), replyTo, roomId: z.string() }),
    message: roomMessage,
    user_joined: z.strictObject({
      type: z.literal('user_joined'),
      replyTo,
      roomId: z.string(),
      username: z.string(),
    }),
    user_left: z.strictObject({
      type: z.literal('user_left'),
      replyTo,
      roomId: z.string(),
      username: z.string(),
    }),
    presence_count: z.strictObject({ type: z.literal('presence_count'), replyTo, roomId: z.string(), count }),
    presence_diff: z.strictObject({
      type: z.literal('presence_diff'),
      replyTo,
      roomId: z.string(),
      joins: z.array(z.string()),
      leaves: z.array(z.string()),
      count,
    }),
    room_list: z.strictObject({
      type: z.literal('room_list'),
      replyTo,
      rooms: z.array(z.strictObject({ id: z.string(), userCount: count })),
    }),
    user_list: z.strictObject({
      type: z.literal('user_list'),
      replyTo,
      roomId: z.string(),
      users: z.array(z.string()),
      count,
    }),
    typing: z.strictObject({
      type: z.literal('typing'),
      replyTo,
      roomId: z.string(),
      username: z.string(),
      isTyping: z.boolean(),
    }),
    private: z.strictObject({
      type: z.literal('private'),
      replyTo,
      from: z.string(),
      to: z.string(),
      text: z.string(),
      timestamp: ms,
    }),
    pong: z.strictObject({ type: z.literal('pong'), replyTo, timestamp: ms }),
    error: z.strictObject({
      type: z.literal('error'),
      replyTo,
      code: z.enum(ErrorCode),
      message: z.string(),
    }),
    room_resync: z.strictObject({
      type: z.literal('room_resync'),
      replyTo,
      roomId: z.string(),
      fence: count,
    }),
  }

  return {
    id,
    roomId,
    username,
    text,
    client,
    server,
    clientFrame: z.discriminatedUnion('type', [
      client.join,
      client.leave,
      client.message,
      client.list_rooms,
      client.list_users,
      client.get_history,
      client.typing,
      client.private,
      client.ping,
    ]),
    serverFrame: z.discriminatedUnion('type', [
      server.welcome,
      server.joined,
      server.history,
      server.left,
      server.message,
      server.user_joined,
      server.user_left,
      server.presence_count,
      server.presence_diff,
      server.room_list,
      server.user_list,
      server.typing,
      server.private,
      server.pong,
      server.error,
      server.room_resync,
    ]),
  }
}

export type Schemas = ReturnType<typeof createSchemas>
