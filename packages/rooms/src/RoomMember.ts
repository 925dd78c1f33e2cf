import type { AnyRef } from '@hubbub/actor'
import type { RoomUser } from './defineRoom.js'

/**
 * A connection as a room sees it. The server's connection record implements it
 * directly, so joining allocates nothing per member. The room sends control frames
 * through `send` and subscribes the socket to the room topic; chat messages reach
 * the member through the topic only.
 */
export interface RoomMember {
  /** The connection's actor; the room monitors it, so a disconnect or crash removes the member. */
  readonly ref: AnyRef
  readonly user: RoomUser
  /** Presence key: `id:<userId>` for authenticated users, the connection id otherwise. */
  readonly key: string
  /** The connection speaks `hubbub.v1.msgpack` (binary frames). */
  readonly binary: boolean
  /** Sends one frame already encoded for this connection (text for JSON, bytes for msgpack). */
  send(data: string | Uint8Array): void
  /** Subscribes the connection to a fan-out topic (at the transport, or the server's fallback). */
  subscribe(topic: string): void
  unsubscribe(topic: string): void
  /** The connection is gone (a join that raced its close is undone at once). */
  readonly isClosed: boolean
  /**
   * Set when the connection dropped (no closing handshake): its presence outlives it this long,
   * and a join by the same user (same presence `key`) within it takes the entry over silently.
   * Absent or 0: it leaves at once.
   */
  readonly presenceGraceMs?: number
  /**
   * The room crashed with this member in it (its actor restarts empty, with a new
   * epoch). Called outside the room, also for members already closed (to release
   * their topic subscription); the member tells its client to rejoin. `code` says why:
   * `INTERNAL` (default) for a crash, after which the client rejoins with `since` and recovers;
   * `ROOM_RESET` when the room's shared log lost its data (a new epoch), after which the client
   * joins afresh.
   */
  roomLost(roomId: string, room: AnyRef, code?: RoomLostCode): void
}

/** Why a member lost its room: see `RoomMember.roomLost`. */
export type RoomLostCode = 'INTERNAL' | 'ROOM_RESET'

/**
 * The fan-out topic of a room for JSON connections: `room.<roomId>`. Room ids may
 * contain dots, so a bus pattern for every room is `room.#`.
 */
export function roomTopic(roomId: string): string {
  return `room.${roomId}`
}

/** The fan-out topic of a room for msgpack connections: `room-msgpack.<roomId>` (`room-msgpack.#`). */
export function roomBinaryTopic(roomId: string): string {
  return `room-msgpack.${roomId}`
}
