/** A user as presence sees it: a stable key (identity or connection) and the display name. */
export interface PresenceUser {
  /** `id:<userId>` for authenticated users, the connection id for anonymous ones. */
  key: string
  name: string
}

/** Result of adding one connection of a user to a room. */
export interface PresenceAdd {
  /** This was the user's first connection in the room (announce `user_joined`). */
  first: boolean
  /** Distinct users in the room after the change. */
  count: number
}

/** Result of removing one connection of a user from a room. */
export interface PresenceRemove {
  /** That was the user's last connection in the room (announce `user_left`). */
  last: boolean
  count: number
}

/**
 * Who is in which room, per user, with a connection count per user. The room
 * actor is the only writer for its room. `T | Promise<T>` signatures let a
 * Redis store (hash per room, per-node heartbeats and TTL) plug in later.
 */
export interface PresenceStore {
  /** Adds one connection of `user`. Fails with the holder's key when another user holds the name. */
  add(
    roomId: string,
    user: PresenceUser,
  ): PresenceAdd | { taken: true } | Promise<PresenceAdd | { taken: true }>
  /** Removes one connection of the user with `key`. */
  remove(roomId: string, key: string): PresenceRemove | Promise<PresenceRemove>
  /** The first `limit` user names (join order) and the total count. */
  list(
    roomId: string,
    limit: number,
  ): { users: string[]; count: number } | Promise<{ users: string[]; count: number }>
  /** Every room with at least one user, and its user count. */
  rooms(): { id: string; userCount: number }[] | Promise<{ id: string; userCount: number }[]>
  /** Forgets a room's presence (the room restarted or stopped). */
  clear(roomId: string): void | Promise<void>
}
