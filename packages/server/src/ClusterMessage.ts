/**
 * What the nodes of a cluster would tell each other, so that a cluster
 * `ConnectionDirectory` can reach connections held by other nodes. Only the type
 * exists: nothing in this package sends or reads these messages yet.
 *
 * Every message carries its sender's `nodeId` (a node skips its own), so it can
 * travel as a plain bus payload: a topic's subscribers see the payload, not the
 * bus envelope. Frames travel as server frame objects; each node encodes them once
 * per encoding for its own connections, as `LocalConnectionDirectory` does.
 * None of them carries an answer: a cluster directory that counts deliveries on
 * other nodes (the numbers the addressed operations return, `USER_NOT_FOUND` for a
 * private message) needs a reply message of its own, which is not defined here.
 */
export type ClusterMessage =
  // `sendToUser`: send `frame` to this user's connections on the receiving node.
  | { type: 'send_to_user'; nodeId: string; userId: string; frame: Record<string, unknown> }
  // `disconnectUser`: close this user's connections on the receiving node.
  | { type: 'disconnect_user'; nodeId: string; userId: string; code: number; reason: string }
  // A client's `private` frame: send `frame` (the `private` server frame) to the connections named `to`.
  | { type: 'private'; nodeId: string; to: string; frame: Record<string, unknown> }
  // Sent at a fixed interval while the node lives (`ts`: its clock, ms); `connections`: its own count.
  | { type: 'node_heartbeat'; nodeId: string; ts: number; connections: number }
  // The node is going away (its drain started): forget it now instead of when its heartbeats stop.
  | { type: 'node_bye'; nodeId: string }
