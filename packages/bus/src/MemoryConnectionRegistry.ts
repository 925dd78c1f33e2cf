import type {
  ConnectionRegistry,
  RegisteredConnection,
  RegisteredNode,
  RegistryQuery,
} from './ConnectionRegistry.js'

export interface MemoryConnectionRegistryOptions {
  /** A node that has not beaten (nor registered a connection) for this long is forgotten. Default 15,000 ms. */
  nodeTtlMs?: number
}

interface NodeEntry {
  lastSeen: number
  conns: Map<string, RegisteredConnection>
}

/**
 * The in-process `ConnectionRegistry`: what several servers in one process share (tests, or
 * nodes on a `MemoryCluster`). Synchronous; silent nodes are dropped when anyone next reads.
 */
export class MemoryConnectionRegistry implements ConnectionRegistry {
  readonly #ttl: number
  readonly #nodes = new Map<string, NodeEntry>()

  constructor(options: MemoryConnectionRegistryOptions = {}) {
    this.#ttl = options.nodeTtlMs ?? 15_000
  }

  #node(node: string): NodeEntry {
    let entry = this.#nodes.get(node)
    if (entry === undefined) {
      entry = { lastSeen: Date.now(), conns: new Map() }
      this.#nodes.set(node, entry)
    }
    return entry
  }

  #live(): IterableIterator<[string, NodeEntry]> {
    const now = Date.now()
    for (const [node, entry] of this.#nodes) if (entry.lastSeen + this.#ttl < now) this.#nodes.delete(node)
    return this.#nodes.entries()
  }

  add(node: string, conn: RegisteredConnection): void {
    const entry = this.#node(node)
    entry.lastSeen = Math.max(entry.lastSeen, Date.now())
    entry.conns.set(conn.id, { ...conn })
  }

  remove(node: string, conn: RegisteredConnection): void {
    this.#nodes.get(node)?.conns.delete(conn.id)
  }

  count(query: RegistryQuery): number {
    const match =
      'name' in query
        ? (c: RegisteredConnection) => c.name === query.name && c.name !== ''
        : (c: RegisteredConnection) =>
            (query.userId !== undefined || query.orgId !== undefined) &&
            (query.userId === undefined || c.userId === query.userId) &&
            (query.orgId === undefined || c.orgId === query.orgId)
    let n = 0
    for (const [, entry] of this.#live()) for (const c of entry.conns.values()) if (match(c)) n++
    return n
  }

  locate(connectionId: string): string | undefined {
    for (const [node, entry] of this.#live()) if (entry.conns.has(connectionId)) return node
    return undefined
  }

  heartbeat(node: string): boolean {
    this.#live()
    const known = this.#nodes.has(node)
    this.#node(node).lastSeen = Date.now()
    return known
  }

  nodes(): RegisteredNode[] {
    return [...this.#live()].map(([node, e]) => ({ node, connections: e.conns.size, lastSeen: e.lastSeen }))
  }

  dropNode(node: string): void {
    this.#nodes.delete(node)
  }
}
