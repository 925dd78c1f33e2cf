import { RedisBusAdapter } from './RedisBusAdapter.js'
import { RedisConnectionRegistry } from './RedisConnectionRegistry.js'
import { RedisPresenceStore } from './RedisPresenceStore.js'
import { RedisRoomLog } from './RedisRoomLog.js'
import { RedisRoomStateStore } from './RedisRoomStateStore.js'
import type { RedisConnectionTarget } from './redisConnection.js'

export interface RedisNodeOptions {
  /**
   * Where Redis is: a `redis://` URL, ioredis options, a Cluster (`{ cluster: [nodes…],
   * clusterOptions }`) or a ready ioredis `Redis`/`Cluster` client (copied, never closed by
   * the node). Default `redis://127.0.0.1:6379`.
   */
  redis?: RedisConnectionTarget
  /** The application's prefix: every node that serves the same rooms and users uses the same one. Default `hubbub`. */
  prefix?: string
  /** This node's id, stamped on its bus messages; give the server the same `nodeId`. Default: random. */
  nodeId?: string
  /** Messages each room keeps in its stream (history and recovery). Default 100. */
  historySize?: number
  /** The room log's `maxPublishBatch` (frames of one room per publish script call). Default 64. */
  maxPublishBatch?: number
  /** A node silent this long is dropped from presence and the registry (keep it a few heartbeats). Default 15,000 ms. */
  nodeTtlMs?: number
  /** Failures of background work (a subscriber connection lost, a purge that failed). Default: `console.error`. */
  onError?: (err: unknown) => void
}

/** What a server needs to share rooms, presence and users with other nodes through Redis. */
export interface RedisNode {
  /** `createServer({ ...node.server, transport, auth })`. */
  readonly server: {
    log: RedisRoomLog
    bus: RedisBusAdapter
    presence: RedisPresenceStore
    registry: RedisConnectionRegistry
    /** Snapshots of rooms that `persist`, shared by the nodes (a Yjs document). */
    state: RedisRoomStateStore
  }
  /** Closes every connection to Redis; call it after `server.close()`. */
  close(): Promise<void>
}

/**
 * The Redis parts of one node, on one prefix: the room log, the bus adapter, presence, the
 * connection registry and the room state store (each opens its own connections, as it must: subscriber connections
 * cannot send commands).
 */
export function redisNode(options: RedisNodeOptions = {}): RedisNode {
  const redis = options.redis ?? 'redis://127.0.0.1:6379'
  const prefix = options.prefix ?? 'hubbub'
  const onError = options.onError ?? ((err: unknown) => console.error('[@hubbub/redis]', err))
  const ttl = options.nodeTtlMs === undefined ? {} : { nodeTtlMs: options.nodeTtlMs }
  const log = new RedisRoomLog({
    redis,
    prefix,
    onError,
    ...(options.historySize === undefined ? {} : { historySize: options.historySize }),
    ...(options.maxPublishBatch === undefined ? {} : { maxPublishBatch: options.maxPublishBatch }),
  })
  const bus = new RedisBusAdapter({
    redis,
    prefix: `${prefix}:bus:`,
    ...(options.nodeId === undefined ? {} : { nodeId: options.nodeId }),
  })
  const presence = new RedisPresenceStore({ redis, prefix, onError, ...ttl })
  const registry = new RedisConnectionRegistry({ redis, prefix, ...ttl })
  const state = new RedisRoomStateStore({ redis, prefix })
  return {
    server: { log, bus, presence, registry, state },
    async close() {
      await Promise.all([
        bus.close(),
        log.disconnect(),
        presence.close(),
        registry.disconnect(),
        state.disconnect(),
      ])
    },
  }
}
