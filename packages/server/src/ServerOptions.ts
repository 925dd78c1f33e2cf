import type { BusAdapter, ConnectionRegistry, EventBus } from '@hubbub/bus'
import type { Limits } from '@hubbub/protocol'
import type { PresenceStore, RoomBehaviour, RoomLog, RoomPlacer, RoomStateStore } from '@hubbub/rooms'
import type { Transport, TransportFactory } from '@hubbub/transport'
import type { AuthHook } from './auth/index.js'
import type { InspectorOptions } from './inspector/index.js'
import type { Logger } from './Logger.js'
import type { ServerMetrics } from './metrics/index.js'

/** Routes room ids to a behaviour; the first match wins, unmatched rooms are chat rooms. */
export interface RoomRoute {
  match: RegExp | ((roomId: string) => boolean)
  behaviour: RoomBehaviour
}

/** What `transport` may be: a factory, a ready transport, or nothing (`handleConnection` only). */
export type ServerTransport = TransportFactory<any> | Transport<any> | undefined

/** The options a transport factory takes (e.g. `WsTransportOptions` for `wsTransport`); none for a ready transport. */
export type TransportOptionsOf<T extends ServerTransport> = T extends (options?: infer O) => Transport<any>
  ? NonNullable<O>
  : never

/** `server.transport`: what the factory builds (e.g. `WsTransport`, with `handleRequest`), the ready transport, or undefined. */
export type TransportOf<T extends ServerTransport> = T extends (...args: any[]) => infer R
  ? R
  : T extends Transport<any>
    ? T
    : undefined

export interface ServerOptions<T extends ServerTransport = ServerTransport> {
  /**
   * The transport: a factory such as `wsTransport` / `uwsTransport` (the server passes
   * it auth, subprotocol negotiation, limits and heartbeat; add your own with
   * `transportOptions`), or a ready `Transport` (then its own options stand, and
   * `connection.identity` is taken as the `Identity`). Omit for `handleConnection` only.
   */
  transport?: T
  /**
   * Extra options for a transport factory, typed as that factory's own (`allowedOrigins`, `backpressure`,
   * the ws transport's `server`…), so a misspelt option does not compile.
   */
  transportOptions?: TransportOptionsOf<T>
  /**
   * Load balancers or proxies whose `X-Forwarded-For` is believed (addresses and subnets, e.g.
   * `['10.0.0.0/8']`): connections through them are limited (`connectionsPerAddress`) and
   * logged by the client's address. Default: none, the TCP peer's address.
   */
  trustProxy?: readonly string[]
  /** Port for `listen()` when it is called without one. Default 0 (a free port). */
  port?: number
  host?: string
  /** `hmacAuth({ secret })`, any `AuthHook`, or `{ anonymous: true }` (clients name themselves). Required. */
  auth: AuthHook | { anonymous: true }
  /** One behaviour for every room, or routes by room id. Default: the chat room. */
  rooms?: RoomBehaviour | readonly RoomRoute[]
  /** Protocol and server limits (docs/PROTOCOL.md defaults). */
  limits?: Partial<Limits>
  /** An empty room stops after this long; 0 = at once. Default 30,000 ms. */
  roomGraceMs?: number
  /** Messages kept per room by the in-memory log. Default 100. */
  historySize?: number
  /** Sequences, keeps and delivers every room's messages; default a `MemoryRoomLog`. Nodes that share one see one order per room. */
  log?: RoomLog
  presence?: PresenceStore
  /** Snapshots of behaviours that `persist`; default a `MemoryRoomStateStore`. */
  state?: RoomStateStore
  /**
   * Runs each room of an `owned` behaviour on one node when `log` is shared (e.g. `RedisRoomPlacement`
   * of @hubbub/redis). Without it, a shared log refuses `owned` behaviours at start.
   */
  placement?: RoomPlacer
  /** The topic bus (or just its adapter, e.g. Redis). Default: an in-memory bus. */
  bus?: EventBus<any> | BusAdapter
  /**
   * Who is connected to which node, shared by every node of a cluster (e.g. a Redis registry).
   * With it, `sendToUser`, `disconnectUser`, `broadcastWhere` (with a filter), private
   * messages, `disconnect` and `terminate` reach connections on every node (through the bus
   * adapter's cluster messages, which must reach the other nodes), their counts are
   * cluster-wide, and `/api/stats` lists the nodes. Default: none (this node only).
   */
  registry?: ConnectionRegistry
  /** Serve `/health`, `/api/stats`, `/metrics`, `POST /api/broadcast` (and static files). Default true. */
  http?: boolean | { staticFiles?: { dir: string } }
  /**
   * Bearer secret of `POST /api/broadcast`; without it (or undefined, e.g. an unset
   * `process.env.BROADCAST_SECRET`) the route is not served. An empty string is refused.
   */
  broadcastSecret?: string | undefined
  /**
   * The inspector's routes (`GET <path>/snapshot`, `POST <path>/actions`) behind their own bearer
   * secret. Default: off.
   */
  inspector?: InspectorOptions
  /** Prometheus metrics; default: a registry of this server's own. */
  metrics?: ServerMetrics
  /** Pino-compatible logger. Default: silent. */
  logger?: Logger
  /** This node's id (stats, metrics, presence entries). Default: random. */
  nodeId?: string
  /** How often this node tells the presence store (and the `registry`) it lives; shared ones drop silent nodes. Default 5,000 ms; 0 never. */
  presenceHeartbeatMs?: number
  /** WebSocket ping interval announced in `welcome` and given to the transport. Default 25,000 ms; 0 disables. */
  heartbeatMs?: number
  /**
   * How long a member whose connection dropped (close 1006 or 1001: a network cut, a killed tab, a
   * page unload) stays present in its rooms: back within it (same user id, or an anonymous client
   * presenting its `resumeToken`), nobody hears `user_left` / `user_joined`; otherwise `user_left`
   * goes out when it ends. Held by this node. Default 5,000 ms; 0 announces every drop at once.
   */
  presenceGraceMs?: number
  /**
   * A room merges the comings and goings of its users for this long after the first one (one more
   * `presenceBatchMs` per 10 members beyond 10, and longer during a burst, at most `presenceBatchMaxMs`) and tells its members in one
   * `presence_diff` (one frame per member and window, however many users came). Default 50 ms; 0 sends each change at once as `user_joined` / `user_left` (the older protocol).
   */
  presenceBatchMs?: number
  /**
   * The longest a room's presence window grows to: while windows keep filling (a burst of joins
   * or leaves), each next one is twice as long, up to this; one window without a change brings it
   * back to `presenceBatchMs`. Default 1,000 ms; 0 to 60,000. Below `presenceBatchMs` the window
   * never grows (it stays `presenceBatchMs`).
   */
  presenceBatchMaxMs?: number
  /** Also speak `hubbub.v1.msgpack`. Default true. */
  msgpack?: boolean
}
