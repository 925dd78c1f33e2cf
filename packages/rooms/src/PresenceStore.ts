/** A user as presence sees it: a stable key (identity or connection) and the display name. */
export interface PresenceUser {
  /** `id:<userId>` for authenticated users, the connection id for anonymous ones. */
  key: string
  name: string
}

/** Where one connection of a user is: the node that holds its socket, and the connection's id. */
export interface PresenceConnection {
  node: string
  connection: string
}

/** One connection of a user in a room: what `add` records and `remove` takes away. */
export type PresenceEntry = PresenceUser & PresenceConnection

/** Result of adding one connection of a user to a room. */
export interface PresenceAdd {
  /** This was the user's first connection in the room, on any node (announce `user_joined`). */
  first: boolean
  /** Distinct users in the room after the change. */
  count: number
}

/** Result of removing one connection of a user from a room. */
export interface PresenceRemove {
  /** That was the user's last connection in the room, on any node (announce `user_left`). */
  last: boolean
  count: number
}

/**
 * One change of a room's users, as the change feed reports it: `node` is the node whose
 * connection (or, for `dropNode` and expiry, whose every connection) changed.
 */
export interface PresenceDiff {
  roomId: string
  node: string
  /** Users whose first connection arrived. */
  joined: string[]
  /** Users whose last connection went. */
  left: string[]
  /** Distinct users in the room after the change. */
  count: number
}

export type PresenceListener = (diff: PresenceDiff) => void

/**
 * Who is in which room: entries keyed by room, node and connection, grouped per user (a user
 * is in a room while any of its connections is, on any node). A node heartbeats while it
 * lives; a store shared by several nodes drops the entries of a node that stopped (its TTL)
 * and reports that like any change, once. Nodes announce what the change feed reports, so
 * lifecycle never clears shared state: a room removes its own entries, a node that leaves
 * drops its own. `T | Promise<T>` signatures let a shared store be asynchronous.
 */
export interface PresenceStore {
  /**
   * Adds one connection of a user. Refused (`taken`) when another user holds the name in the
   * room, or this user shows there under another name. Adding an entry twice changes nothing.
   */
  add(
    roomId: string,
    entry: PresenceEntry,
  ): PresenceAdd | { taken: true } | Promise<PresenceAdd | { taken: true }>
  /** Removes one connection of a user; removing one that is not there changes nothing. */
  remove(roomId: string, entry: PresenceEntry): PresenceRemove | Promise<PresenceRemove>
  /** The first `limit` user names (join order) and the total count. */
  list(
    roomId: string,
    limit: number,
  ): { users: string[]; count: number } | Promise<{ users: string[]; count: number }>
  /** Every room with at least one user, and its user count. */
  rooms(): { id: string; userCount: number }[] | Promise<{ id: string; userCount: number }[]>
  /** `node` is alive. A store shared by nodes drops a node that has beaten once and then stopped for its TTL. */
  heartbeat(node: string): void | Promise<void>
  /** Removes every entry of `node` (it left, or died): users with no other connection leave. */
  dropNode(node: string): void | Promise<void>
  /** Calls `listener` with every change, whichever node made it; returns the unsubscribe. */
  onDiff(listener: PresenceListener): (() => void) | Promise<() => void>
}
