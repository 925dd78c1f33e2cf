import type { ErrorCode } from './ErrorCode.js'

/** Every client frame may carry `id` (1–64 chars); the server's direct answer carries it back as `replyTo`. */
interface ClientFrameBase {
  id?: string
}

/** Every server frame may carry `replyTo`: the `id` of the client frame it answers. */
interface ServerFrameBase {
  replyTo?: string
}

// ---- client → server ----

/** Join a room; `since` asks for the messages missed after `offset` in `epoch`. */
export interface JoinFrame extends ClientFrameBase {
  type: 'join'
  roomId: string
  username?: string
  since?: { offset: number; epoch: string }
  /** The `resumeToken` of an earlier, now closed connection: take over its presence (anonymous users). */
  resume?: string
}
export interface LeaveFrame extends ClientFrameBase {
  type: 'leave'
  roomId: string
}
export interface MessageFrame extends ClientFrameBase {
  type: 'message'
  roomId: string
  text: string
}
export interface ListRoomsFrame extends ClientFrameBase {
  type: 'list_rooms'
}
export interface ListUsersFrame extends ClientFrameBase {
  type: 'list_users'
  roomId: string
}
/** `limit` is 1–100; absent means the server's `historyDefaultLimit` (50). */
export interface GetHistoryFrame extends ClientFrameBase {
  type: 'get_history'
  roomId: string
  limit?: number
}
export interface TypingFrame extends ClientFrameBase {
  type: 'typing'
  roomId: string
  isTyping: boolean
}
export interface PrivateFrame extends ClientFrameBase {
  type: 'private'
  to: string
  text: string
}
export interface PingFrame extends ClientFrameBase {
  type: 'ping'
}

export type ClientFrame =
  | JoinFrame
  | LeaveFrame
  | MessageFrame
  | ListRoomsFrame
  | ListUsersFrame
  | GetHistoryFrame
  | TypingFrame
  | PrivateFrame
  | PingFrame

// ---- server → client ----

export interface WelcomeFrame extends ServerFrameBase {
  type: 'welcome'
  connectionId: string
  protocol: 1
  serverTime: number
  heartbeatMs: number
  /** How long a member whose connection dropped stays present in its rooms (0: none). */
  presenceGraceMs: number
  /** For anonymous connections when `presenceGraceMs` > 0: present it as `join.resume` after a reconnect. */
  resumeToken?: string
}
/** `users` includes the joiner (at most `presenceLimit` names); `count` is the total; `offset` the last assigned. */
export interface JoinedFrame extends ServerFrameBase {
  type: 'joined'
  roomId: string
  users: string[]
  count: number
  offset: number
  epoch: string
}
/** `messages` are `message` frames, oldest first; `recovered` is set only for a `join` with `since`. */
export interface HistoryFrame extends ServerFrameBase {
  type: 'history'
  roomId: string
  messages: RoomMessageFrame[]
  recovered?: boolean
}
export interface LeftFrame extends ServerFrameBase {
  type: 'left'
  roomId: string
}
/** A room message as every member (the sender included) receives it exactly once. */
export interface RoomMessageFrame extends ServerFrameBase {
  type: 'message'
  roomId: string
  from: string
  text: string
  timestamp: number
  offset: number
}
export interface UserJoinedFrame extends ServerFrameBase {
  type: 'user_joined'
  roomId: string
  username: string
}
export interface UserLeftFrame extends ServerFrameBase {
  type: 'user_left'
  roomId: string
  username: string
}
/**
 * The room's presence changes of a short window (`presenceBatchMs`), sent once to the whole room:
 * users whose first connection arrived (`joins`) and whose last one went (`leaves`), and the count after them.
 */
export interface PresenceDiffFrame extends ServerFrameBase {
  type: 'presence_diff'
  roomId: string
  joins: string[]
  leaves: string[]
  count: number
}
export interface PresenceCountFrame extends ServerFrameBase {
  type: 'presence_count'
  roomId: string
  count: number
}
export interface RoomListFrame extends ServerFrameBase {
  type: 'room_list'
  rooms: { id: string; userCount: number }[]
}
export interface UserListFrame extends ServerFrameBase {
  type: 'user_list'
  roomId: string
  users: string[]
  count: number
}
export interface UserTypingFrame extends ServerFrameBase {
  type: 'typing'
  roomId: string
  username: string
  isTyping: boolean
}
export interface PrivateMessageFrame extends ServerFrameBase {
  type: 'private'
  from: string
  to: string
  text: string
  timestamp: number
}
export interface PongFrame extends ServerFrameBase {
  type: 'pong'
  timestamp: number
}
export interface ErrorFrame extends ServerFrameBase {
  type: 'error'
  code: ErrorCode
  message: string
}

/**
 * An owned room moved to another node (its owner died or lost its lease): the state frames that
 * follow replace what the client had. `fence` grows with every change of owner.
 */
export interface RoomResyncFrame extends ServerFrameBase {
  type: 'room_resync'
  roomId: string
  fence: number
}

export type ServerFrame =
  | WelcomeFrame
  | JoinedFrame
  | HistoryFrame
  | LeftFrame
  | RoomMessageFrame
  | UserJoinedFrame
  | UserLeftFrame
  | PresenceCountFrame
  | PresenceDiffFrame
  | RoomListFrame
  | UserListFrame
  | UserTypingFrame
  | PrivateMessageFrame
  | PongFrame
  | ErrorFrame
  | RoomResyncFrame

/** The frame of a given `type`, e.g. `ClientFrameOf<'join'>`. */
export type ClientFrameOf<T extends ClientFrame['type']> = Extract<ClientFrame, { type: T }>
export type ServerFrameOf<T extends ServerFrame['type']> = Extract<ServerFrame, { type: T }>
