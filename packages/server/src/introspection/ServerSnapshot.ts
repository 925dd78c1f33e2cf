import type { SystemSnapshot } from '@hubbub/actor'

/** One running room of this node in `server.introspect()`. */
export interface RoomFigures {
  readonly id: string
  /** This node's connections in the room. */
  readonly connections: number
  /** This node's users in the room (a user with two tabs counts once). */
  readonly users: number
  /** The last log offset the room has seen. */
  readonly offset: number
  /** Frames the room's log keeps (what a rejoin can recover); undefined when not read or the read failed. */
  readonly history: number | undefined
  /** Frames published to the room per second, over the last 4 complete seconds. */
  readonly messagesPerSecond: number
  /** Frames published to the room since this node first counted one. */
  readonly messagesTotal: number
}

/** One connection of this node in `server.introspect()`. */
export interface ConnectionFigures {
  readonly id: string
  /** The authenticated user; undefined for anonymous connections. */
  readonly userId: string | undefined
  /** The name it shows in rooms ('' until an anonymous connection's first join). */
  readonly name: string
  readonly remoteAddress: string
  readonly binary: boolean
  readonly rooms: readonly string[]
  /** Bytes waiting in the socket's send buffers (a slow consumer's grow); 0 for sockets that do not say. */
  readonly bufferedBytes: number
  /** Frames the transport dropped for it under the `'drop'` backpressure policy. */
  readonly dropped: number
  /** Frames received from the client (refused ones included). */
  readonly framesIn: number
  /** Frames sent to this connection directly (replies, errors, history, presence); room fan-out is counted per room. */
  readonly framesOut: number
  /** Frames refused by the rate limit. */
  readonly rateLimited: number
}

/** What `server.introspect()` answers: this node's rooms, connections and actor tree. Never message texts or tokens. */
export interface ServerSnapshot {
  readonly nodeId: string
  /** Milliseconds since the epoch when it was taken. */
  readonly at: number
  readonly uptimeMs: number
  readonly rooms: readonly RoomFigures[]
  readonly connections: readonly ConnectionFigures[]
  /**
   * Users this node keeps `rateLimits` buckets for (`per: 'user'`), counted once per room: each
   * stays while the user has a connection here in the room.
   */
  readonly userRateLimits: number
  /** The actor system's supervision tree (`system.snapshot()`). */
  readonly actors: SystemSnapshot
}

export interface IntrospectOptions {
  /**
   * Read each room's kept history size from the log. Default true; with a shared (Redis) log
   * this is one read per room, so turn it off for frequent snapshots of many rooms.
   */
  readonly history?: boolean
}
