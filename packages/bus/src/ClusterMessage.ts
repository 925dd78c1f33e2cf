/**
 * What the nodes of a cluster tell each other about connections, in the style of
 * socket.io's `ClusterMessage`: a server's cluster `ConnectionDirectory` sends them so that
 * connections held by other nodes are reached. They travel as control envelopes (`sendCluster`),
 * so the sender's `nodeId` comes with each; frames travel as server frame objects, and each
 * node encodes them once per encoding for its own connections. None carries an answer.
 */
export type ClusterMessage =
  /** `sendToUser`: send `frame` to this user's connections on the receiving node. */
  | { type: 'send_to_user'; userId: string; frame: Record<string, unknown> }
  /** `disconnectUser`: close this user's connections on the receiving node. */
  | { type: 'disconnect_user'; userId: string; code: number; reason: string }
  /** A client's `private` frame: send `frame` (the `private` server frame) to the connections named `to`. */
  | { type: 'private'; to: string; frame: Record<string, unknown> }
  /** `broadcastWhere` with a filter: send `frame` to the receiving node's connections that match it. */
  | { type: 'broadcast_where'; filter: { userId?: string; orgId?: string }; frame: Record<string, unknown> }
  /** `disconnect`: close the connection with this id, if the receiving node holds it. */
  | { type: 'disconnect_connection'; connectionId: string; code: number; reason: string }
  /** `terminate`: destroy the socket of the connection with this id, if the receiving node holds it. */
  | { type: 'terminate_connection'; connectionId: string }
  /** Sent at a fixed interval while the node lives (`ts`: its clock, ms); `connections`: its own count. */
  | { type: 'node_heartbeat'; ts: number; connections: number }
  /** The node is going away (its drain started): forget it now instead of when its heartbeats stop. */
  | { type: 'node_bye' }

/** The control envelope name cluster messages travel under. */
export const CLUSTER_CONTROL = 'cluster'

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
const isString = (v: unknown): v is string => typeof v === 'string'
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)

/** Narrows untrusted data from another node to a `ClusterMessage` (extra fields are ignored). */
export function isClusterMessage(value: unknown): value is ClusterMessage {
  if (!isObject(value)) return false
  switch (value.type) {
    case 'send_to_user':
      return isString(value.userId) && isObject(value.frame)
    case 'disconnect_user':
      return isString(value.userId) && isNumber(value.code) && isString(value.reason)
    case 'private':
      return isString(value.to) && isObject(value.frame)
    case 'broadcast_where':
      return (
        isObject(value.filter) &&
        (value.filter.userId === undefined || isString(value.filter.userId)) &&
        (value.filter.orgId === undefined || isString(value.filter.orgId)) &&
        isObject(value.frame)
      )
    case 'disconnect_connection':
      return isString(value.connectionId) && isNumber(value.code) && isString(value.reason)
    case 'terminate_connection':
      return isString(value.connectionId)
    case 'node_heartbeat':
      return isNumber(value.ts) && isNumber(value.connections)
    case 'node_bye':
      return true
    default:
      return false
  }
}
