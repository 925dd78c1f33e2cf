/** One connection as the registry keeps it: its id and what addressed operations look it up by. */
export interface RegisteredConnection {
  id: string
  /** The authenticated user's id (`sendToUser`, `disconnectUser`, filters). */
  userId?: string
  /** The authenticated user's organisation (`broadcastWhere({ orgId })`). */
  orgId?: string
  /** The name the connection shows (private messages); '' while it has none. */
  name: string
}

/** Which connections an addressed operation reaches, across every node. */
export type RegistryQuery = { userId?: string; orgId?: string } | { name: string }

/** A live node as the registry last heard from it. */
export interface RegisteredNode {
  node: string
  /** Its connections in the registry. */
  connections: number
  /** When it last beat (ms since the epoch, by the registry's clock). */
  lastSeen: number
}

/**
 * Who is connected to which node, across a cluster: the seam behind a cluster
 * `ConnectionDirectory`. A node registers its own connections as they come and go and beats
 * while it lives; a node whose beats stop for the registry's TTL is forgotten with all its
 * connections (no ghosts), and `count` answers for the live nodes only. Messages themselves
 * travel as `ClusterMessage`s on the bus adapter; the registry answers how many connections
 * they reach and where one connection is, in one round trip, so no node waits on the others.
 * `T | Promise<T>` signatures let a shared registry (Redis) be asynchronous.
 */
export interface ConnectionRegistry {
  /** Registers a connection of `node` (again after a rename: the entry is replaced). */
  add(node: string, conn: RegisteredConnection): void | Promise<void>
  /** Forgets a connection of `node`; forgetting one that is not there changes nothing. */
  remove(node: string, conn: RegisteredConnection): void | Promise<void>
  /** How many connections on live nodes match: all given fields of `{userId, orgId}`, or `{name}`. */
  count(query: RegistryQuery): number | Promise<number>
  /** The live node that holds the connection with this id. */
  locate(connectionId: string): string | undefined | Promise<string | undefined>
  /**
   * `node` lives (adding a connection counts as a sign of life too). Answers false when the
   * registry did not know the node (new, or forgotten after a silence longer than the TTL): a
   * node that was forgotten registers its connections again.
   */
  heartbeat(node: string): boolean | Promise<boolean>
  /** The live nodes, by their last beat. */
  nodes(): RegisteredNode[] | Promise<RegisteredNode[]>
  /** Forgets `node` and its connections at once (it is going away). */
  dropNode(node: string): void | Promise<void>
}
