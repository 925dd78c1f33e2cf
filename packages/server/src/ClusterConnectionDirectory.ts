import type {
  BusAdapter,
  ClusterMessage,
  ConnectionRegistry,
  RegisteredConnection,
  RegisteredNode,
} from '@hubbub/bus'
import { CloseCode } from '@hubbub/protocol'
import type { ConnectionDirectory } from './ConnectionDirectory.js'
import type { ConnectionRecord, ConnectionView } from './ConnectionRecord.js'
import type { BroadcastFilter } from './http/index.js'
import type { LocalConnectionDirectory } from './LocalConnectionDirectory.js'
import type { Logger } from './Logger.js'

export interface ClusterConnectionDirectoryOptions {
  /** This node's connections, and the operations over them. */
  local: LocalConnectionDirectory
  /** Who is connected to which node (counts and lookups, one round trip each). */
  registry: ConnectionRegistry
  /** Carries the cluster messages to the other nodes (the server bus's adapter). */
  adapter: BusAdapter
  nodeId: string
  logger: Logger
  /** How often this node tells the registry it lives; 0 never. */
  heartbeatMs: number
}

/**
 * The `ConnectionDirectory` of a node in a cluster: this node's connections are served by a
 * `LocalConnectionDirectory`, registered in a shared `ConnectionRegistry`, and every addressed
 * operation also goes to the other nodes as one `ClusterMessage` on the bus adapter. Nobody
 * waits for the other nodes to answer: the count comes from the registry (connections on live
 * nodes), so an operation costs one message and one registry read, whatever the node count.
 * A predicate (a function filter) cannot travel and reaches this node's connections only.
 */
export class ClusterConnectionDirectory implements ConnectionDirectory {
  readonly #local: LocalConnectionDirectory
  readonly #registry: ConnectionRegistry
  readonly #adapter: BusAdapter
  readonly #node: string
  readonly #logger: Logger
  readonly #offCluster: () => void
  readonly #beat: ReturnType<typeof setInterval> | undefined
  #beats = 0

  constructor(options: ClusterConnectionDirectoryOptions) {
    this.#local = options.local
    this.#registry = options.registry
    this.#adapter = options.adapter
    this.#node = options.nodeId
    this.#logger = options.logger
    this.#offCluster = this.#adapter.onCluster((message) => this.#receive(message))
    this.#heartbeat()
    if (options.heartbeatMs > 0) {
      this.#beat = setInterval(() => this.#heartbeat(), options.heartbeatMs)
      this.#beat.unref()
    }
  }

  /** Leaves the cluster: no more beats or messages, and the registry forgets this node at once. */
  async stop(): Promise<void> {
    if (this.#beat !== undefined) clearInterval(this.#beat)
    this.#offCluster()
    await this.#settle(this.#registry.dropNode(this.#node), 'drop this node')
  }

  /** The live nodes, as the registry last heard from them. */
  nodes(): RegisteredNode[] | Promise<RegisteredNode[]> {
    return this.#registry.nodes()
  }

  // ------------------------------------------------ this node's connections

  get size(): number {
    return this.#local.size
  }

  add(conn: ConnectionRecord): void {
    this.#local.add(conn)
    void this.#settle(this.#registry.add(this.#node, entry(conn)), 'register a connection')
  }

  named(conn: ConnectionRecord): void {
    this.#local.named(conn)
    void this.#settle(this.#registry.add(this.#node, entry(conn)), 'rename a connection')
  }

  isNamed(conn: ConnectionRecord): boolean {
    return this.#local.isNamed(conn)
  }

  remove(conn: ConnectionRecord): boolean {
    if (!this.#local.remove(conn)) return false
    void this.#settle(this.#registry.remove(this.#node, entry(conn)), 'unregister a connection')
    return true
  }

  connection(id: string): ConnectionRecord | undefined {
    return this.#local.connection(id)
  }

  local(): IterableIterator<ConnectionRecord> {
    return this.#local.local()
  }

  // ------------------------------------------------ addressed operations

  async sendToUser(userId: string, payload: Record<string, unknown>): Promise<number> {
    this.#local.sendToUser(userId, payload)
    await this.#send({ type: 'send_to_user', userId, frame: payload })
    return this.#registry.count({ userId })
  }

  async disconnectUser(
    userId: string,
    code: number = CloseCode.NORMAL,
    reason = 'disconnected by the server',
  ): Promise<number> {
    // Counted first: the connections this closes leave the registry as they go.
    const count = await this.#registry.count({ userId })
    this.#local.disconnectUser(userId, code, reason)
    await this.#send({ type: 'disconnect_user', userId, code, reason })
    return count
  }

  broadcastWhere(
    filter: BroadcastFilter | ((conn: ConnectionView) => boolean),
    payload: Record<string, unknown>,
  ): number | Promise<number> {
    if (typeof filter === 'function') return this.#local.broadcastWhere(filter, payload)
    const clean = definedOnly(filter)
    this.#local.broadcastWhere(clean, payload)
    return this.#send({ type: 'broadcast_where', filter: clean, frame: payload }).then(() =>
      this.#registry.count(clean),
    )
  }

  async sendPrivate(from: ConnectionRecord, to: string, frame: Record<string, unknown>): Promise<number> {
    this.#local.sendNamed(to, frame, from)
    await this.#send({ type: 'private', to, frame })
    return this.#registry.count({ name: to })
  }

  async disconnect(
    id: string,
    code: number = CloseCode.NORMAL,
    reason = 'disconnected by the server',
  ): Promise<boolean> {
    if (this.#local.disconnect(id, code, reason)) return true
    return this.#sendToHolder(id, { type: 'disconnect_connection', connectionId: id, code, reason })
  }

  async terminate(id: string): Promise<boolean> {
    if (this.#local.terminate(id)) return true
    return this.#sendToHolder(id, { type: 'terminate_connection', connectionId: id })
  }

  /** Another node's connection: false when no live node holds it, else the message goes out. */
  async #sendToHolder(id: string, message: ClusterMessage): Promise<boolean> {
    if ((await this.#registry.locate(id)) === undefined) return false
    await this.#send(message)
    return true
  }

  // ------------------------------------------------ what other nodes ask of this one

  #receive(message: ClusterMessage): void {
    switch (message.type) {
      case 'send_to_user':
        this.#local.sendToUser(message.userId, message.frame)
        return
      case 'disconnect_user':
        this.#local.disconnectUser(message.userId, message.code, message.reason)
        return
      case 'broadcast_where':
        this.#local.broadcastWhere(message.filter, message.frame)
        return
      case 'private':
        this.#local.sendNamed(message.to, message.frame)
        return
      case 'disconnect_connection':
        this.#local.disconnect(message.connectionId, message.code, message.reason)
        return
      case 'terminate_connection':
        this.#local.terminate(message.connectionId)
        return
      default:
        // node_heartbeat / node_bye: liveness is the registry's job.
        return
    }
  }

  #send(message: ClusterMessage): Promise<void> {
    return Promise.resolve(this.#adapter.sendCluster(message))
  }

  #heartbeat(): void {
    const beat = async () => {
      const first = this.#beats++ === 0
      const known = await this.#registry.heartbeat(this.#node)
      // Forgotten (silent past the TTL: a long stall, or the registry lost its data): this
      // node's connections are still here, so register them again.
      if (!known && !first) {
        for (const conn of this.#local.local()) await this.#registry.add(this.#node, entry(conn))
      }
    }
    void this.#settle(beat(), 'heartbeat')
  }

  /** Registry writes are not awaited by the connection path: a failure is logged, never thrown. */
  async #settle(work: void | Promise<void>, what: string): Promise<void> {
    try {
      await work
    } catch (err) {
      this.#logger.warn({ err, nodeId: this.#node }, `connection registry: could not ${what}`)
    }
  }
}

function entry(conn: ConnectionRecord): RegisteredConnection {
  const e: RegisteredConnection = { id: conn.id, name: conn.name }
  if (conn.identity?.userId !== undefined) e.userId = conn.identity.userId
  if (conn.identity?.orgId !== undefined) e.orgId = conn.identity.orgId
  return e
}

function definedOnly(filter: BroadcastFilter): { userId?: string; orgId?: string } {
  const clean: { userId?: string; orgId?: string } = {}
  if (filter.userId !== undefined) clean.userId = filter.userId
  if (filter.orgId !== undefined) clean.orgId = filter.orgId
  return clean
}
