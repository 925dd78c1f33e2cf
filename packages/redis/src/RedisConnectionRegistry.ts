import type { ConnectionRegistry, RegisteredConnection, RegisteredNode, RegistryQuery } from '@hubbub/bus'
import { RedisLogError } from './RedisLogError.js'
import { closeRedis, openRedis, type RedisClient, type RedisConnectionTarget } from './redisConnection.js'
import {
  addScript,
  countScript,
  dropNodeScript,
  heartbeatScript,
  locateScript,
  nodesScript,
  removeScript,
} from './registryScripts.js'

export interface RedisConnectionRegistryOptions {
  /**
   * Where Redis is: a `redis://` URL, ioredis options, a Cluster (`{ cluster: [nodes…] }`) or a
   * ready ioredis client to copy. On a Cluster every key of the registry lives in the one slot
   * of `{<prefix>:registry}`. Default `redis://127.0.0.1:6379`.
   */
  redis?: RedisConnectionTarget
  /**
   * Starts every key: all of them share the hash tag `{<prefix>:registry}` (one Cluster slot).
   * Nodes of one application use the same prefix. Default `hubbub`.
   */
  prefix?: string
  /**
   * A node that has not beaten (nor registered a connection) for this long is forgotten with
   * its connections, by whichever node reads next. Keep it a few times the servers'
   * `presenceHeartbeatMs` (default 5,000). Default 15,000 ms.
   */
  nodeTtlMs?: number
}

type Args = (string | number)[]
interface ScriptCommands {
  hubbubRegAdd(nodes: string, ...args: Args): Promise<number>
  hubbubRegRemove(nodes: string, ...args: Args): Promise<number>
  hubbubRegCount(nodes: string, ...args: Args): Promise<number>
  hubbubRegLocate(nodes: string, ...args: Args): Promise<string | null>
  hubbubRegHeartbeat(nodes: string, ...args: Args): Promise<number>
  hubbubRegNodes(nodes: string, ...args: Args): Promise<(string | number)[]>
  hubbubRegDropNode(nodes: string, ...args: Args): Promise<number>
}

/**
 * A `ConnectionRegistry` in Redis, shared by the nodes of a cluster: each node's connections in
 * hashes of their own with counts by user, organisation and name kept beside them, so every
 * query is one Lua script (one round trip) whatever the number of connections, and nodes in a
 * sorted set by the time their TTL runs out. Any script that reads first purges the nodes whose
 * TTL ran out, with all their entries: a dead node leaves no ghosts, and a node's own clock
 * never matters (the scripts use Redis' TIME).
 */
export class RedisConnectionRegistry implements ConnectionRegistry {
  readonly prefix: string
  readonly nodeTtlMs: number
  readonly #redis: RedisClient & ScriptCommands
  readonly #base: string
  readonly #nodes: string

  constructor(options: RedisConnectionRegistryOptions = {}) {
    const ttl = options.nodeTtlMs ?? 15_000
    if (!Number.isInteger(ttl) || ttl <= 0) {
      throw new RedisLogError('INVALID_OPTIONS', `nodeTtlMs must be a whole number > 0, got ${ttl}`)
    }
    this.nodeTtlMs = ttl
    this.prefix = options.prefix ?? 'hubbub'
    this.#base = `{${this.prefix}:registry}`
    this.#nodes = `${this.#base}:nodes`
    const redis = openRedis(options.redis ?? 'redis://127.0.0.1:6379', { connectionName: 'hubbub-registry' })
    redis.on('error', () => {}) // every command rejects on its own; the server logs those
    const define = (name: string, lua: string) => redis.defineCommand(name, { numberOfKeys: 1, lua })
    define('hubbubRegAdd', addScript)
    define('hubbubRegRemove', removeScript)
    define('hubbubRegCount', countScript)
    define('hubbubRegLocate', locateScript)
    define('hubbubRegHeartbeat', heartbeatScript)
    define('hubbubRegNodes', nodesScript)
    define('hubbubRegDropNode', dropNodeScript)
    this.#redis = redis as RedisClient & ScriptCommands
  }

  async add(node: string, conn: RegisteredConnection): Promise<void> {
    const entry = JSON.stringify([conn.userId ?? '', conn.orgId ?? '', conn.name])
    await this.#redis.hubbubRegAdd(this.#nodes, this.#base, node, this.nodeTtlMs, conn.id, entry)
  }

  async remove(node: string, conn: RegisteredConnection): Promise<void> {
    await this.#redis.hubbubRegRemove(this.#nodes, this.#base, node, conn.id)
  }

  async count(query: RegistryQuery): Promise<number> {
    const [hash, field] = countKey(query)
    if (field === '') return 0
    return Number(await this.#redis.hubbubRegCount(this.#nodes, this.#base, hash, field))
  }

  async locate(connectionId: string): Promise<string | undefined> {
    return (await this.#redis.hubbubRegLocate(this.#nodes, this.#base, connectionId)) ?? undefined
  }

  async heartbeat(node: string): Promise<boolean> {
    return (await this.#redis.hubbubRegHeartbeat(this.#nodes, this.#base, node, this.nodeTtlMs)) === 1
  }

  async nodes(): Promise<RegisteredNode[]> {
    const flat = await this.#redis.hubbubRegNodes(this.#nodes, this.#base)
    const out: RegisteredNode[] = []
    for (let i = 0; i + 2 < flat.length; i += 3) {
      out.push({ node: String(flat[i]), connections: Number(flat[i + 1]), lastSeen: Number(flat[i + 2]) })
    }
    return out
  }

  async dropNode(node: string): Promise<void> {
    await this.#redis.hubbubRegDropNode(this.#nodes, this.#base, node)
  }

  /** Closes the registry's Redis connection. */
  async disconnect(): Promise<void> {
    await closeRedis(this.#redis)
  }
}

/** The count hash and field a query reads; an empty field matches nothing. */
function countKey(query: RegistryQuery): [string, string] {
  if ('name' in query) return ['names', query.name]
  const { userId, orgId } = query
  if (userId !== undefined && orgId !== undefined) return ['orgusers', JSON.stringify([orgId, userId])]
  if (userId !== undefined) return ['users', userId]
  if (orgId !== undefined) return ['orgs', orgId]
  return ['users', '']
}
