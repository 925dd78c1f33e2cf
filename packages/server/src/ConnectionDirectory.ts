import type { ConnectionRecord, ConnectionView } from './ConnectionRecord.js'
import type { BroadcastFilter } from './http/index.js'

/**
 * Where a server finds its connections: by id, by authenticated user, by the name
 * they show. It is the seam between one process and a cluster. The members in the
 * first group are about this node's own connections (their records live here, so
 * they are synchronous in every implementation); the addressed operations in the
 * second group may also reach connections on other nodes, so a cluster
 * implementation may answer them with a promise. `LocalConnectionDirectory` is the
 * in-process implementation and answers everything synchronously.
 */
export interface ConnectionDirectory {
  // ------------------------------------------------ this node's connections

  /** How many connections are open on this node. */
  readonly size: number
  /** Registers a newly adopted connection (and its name, if it has one). */
  add(conn: ConnectionRecord): void
  /** Records the name a connection got at its first join (anonymous connections are named then). */
  named(conn: ConnectionRecord): void
  /** Whether the connection is registered under the name it shows. */
  isNamed(conn: ConnectionRecord): boolean
  /** Forgets a connection; false when it was not registered. */
  remove(conn: ConnectionRecord): boolean
  /** This node's connection with this id. */
  connection(id: string): ConnectionRecord | undefined
  /** This node's connections (iterate a copy if connections may close meanwhile). */
  local(): IterableIterator<ConnectionRecord>

  // ------------------------------------------------ addressed operations

  /** Sends a server frame to every connection of an authenticated user; resolves to the count. */
  sendToUser(userId: string, payload: Record<string, unknown>): number | Promise<number>
  /** Closes every connection of an authenticated user; resolves to the count. */
  disconnectUser(userId: string, code?: number, reason?: string): number | Promise<number>
  /**
   * Sends a server frame to every connection matching the filter or predicate;
   * resolves to the count. A predicate cannot travel to other nodes; a filter can.
   */
  broadcastWhere(
    filter: BroadcastFilter | ((conn: ConnectionView) => boolean),
    payload: Record<string, unknown>,
  ): number | Promise<number>
  /**
   * Sends a `private` frame to every connection whose name is `to`, except `from`;
   * resolves to the number of connections named `to` (`from` included), so 0 means
   * there is no such user. The caller may change `frame` once the result is settled.
   */
  sendPrivate(from: ConnectionRecord, to: string, frame: Record<string, unknown>): number | Promise<number>
  /** Closes one connection by id; false when there is no such connection. */
  disconnect(id: string, code?: number, reason?: string): boolean | Promise<boolean>
  /** Destroys one connection's socket without a closing handshake; false when there is none. */
  terminate(id: string): boolean | Promise<boolean>
}
