/**
 * Where the presence store keeps things. A room's keys share the hash tag `{prefix:room}`, so
 * in a Redis Cluster they live in one slot; the store-wide keys share `{prefix}`.
 */
export interface PresenceKeys {
  /** Channel the change feed is published on. */
  readonly channel: string
  /** Hash of room id → user count, for every room with at least one user. */
  readonly rooms: string
  /** Hash of room id → the version of the room's last write to `rooms`. */
  readonly roomVersions: string
  /** Sorted set of rooms whose count went to 0, by when (ms): their versions are forgotten later. */
  readonly emptied: string
  /** Sorted set of nodes that heartbeat, scored by when their heartbeat runs out (ms). */
  readonly nodes: string
  /** Prefix of the per-node heartbeat keys (the node id follows). */
  readonly heartbeatPrefix: string
  heartbeat(node: string): string
  /** Set of the rooms where `node` has entries. */
  nodeRooms(node: string): string
  /** Hash of a room's users: `n:<name>` → key, `k:<key>` → name, `c:<key>` → connections, `seq`. */
  users(roomId: string): string
  /** Sorted set of a room's user names, scored by join order. */
  names(roomId: string): string
  /** Hash of one node's entries in a room: `<connection>\0<key>` → key. */
  entries(roomId: string, node: string): string
}

export function presenceKeys(prefix: string): PresenceKeys {
  const store = `{${prefix}}`
  const room = (roomId: string) => `{${prefix}:${roomId}}`
  return {
    channel: `${prefix}:presence`,
    rooms: `${store}:rooms`,
    roomVersions: `${store}:room-versions`,
    emptied: `${store}:emptied`,
    nodes: `${store}:nodes`,
    heartbeatPrefix: `${store}:hb:`,
    heartbeat: (node) => `${store}:hb:${node}`,
    nodeRooms: (node) => `${store}:node-rooms:${node}`,
    users: (roomId) => `${room(roomId)}:users`,
    names: (roomId) => `${room(roomId)}:names`,
    entries: (roomId, node) => `${room(roomId)}:entries:${node}`,
  }
}
