import { randomBytes } from 'node:crypto'
import { ActorSystem, type AnyRef, Supervisor, type SupervisorRef } from '@hubbub/actor'
import { BusAdapter, EventBus } from '@hubbub/bus'
import {
  CloseCode,
  createProtocol,
  encodeServerFrame,
  type Limits,
  MSGPACK_SUBPROTOCOL,
  negotiate,
  type Subprotocol,
} from '@hubbub/protocol'
import { createMsgpackCodec } from '@hubbub/protocol/msgpack'
import {
  chatRoom,
  type HistoryStore,
  type OutgoingFrame,
  type PresenceStore,
  type RoomBehaviour,
  RoomManager,
  roomBinaryTopic,
  roomTopic,
} from '@hubbub/rooms'
import type {
  Connection,
  Transport,
  TransportFactory,
  TransportOptions,
  UpgradeRequest,
} from '@hubbub/transport'
import { z } from 'zod'
import { type AuthHook, type Identity, isTokenProtocol } from './auth/index.js'
import type { ClientDecoder } from './ClientDecoder.js'
import { ConnectionActor } from './ConnectionActor.js'
import { ConnectionCore } from './ConnectionCore.js'
import { ConnectionRecord, type ConnectionView } from './ConnectionRecord.js'
import { type BroadcastFilter, createHttpApi, type ServerStats } from './http/index.js'
import { LocalConnectionDirectory } from './LocalConnectionDirectory.js'
import { type Logger, silentLogger } from './Logger.js'
import { createMetrics, type ServerMetrics } from './metrics/index.js'
import { RateLimitConfig } from './RateLimiter.js'
import { ServerError } from './ServerError.js'
import type { ConnectionInfo, ServerConnection, SocketLike } from './SocketLike.js'
import { TopicBridge } from './TopicBridge.js'

/** Routes room ids to a behaviour; the first match wins, unmatched rooms are chat rooms. */
export interface RoomRoute {
  match: RegExp | ((roomId: string) => boolean)
  behaviour: RoomBehaviour
}

export interface ServerOptions {
  /**
   * The transport: a factory such as `wsTransport` / `uwsTransport` (the server passes
   * it auth, subprotocol negotiation, limits and heartbeat; add your own with
   * `transportOptions`), or a ready `Transport` (then its own options stand, and
   * `connection.identity` is taken as the `Identity`). Omit for `handleConnection` only.
   */
  transport?: TransportFactory<any> | Transport<any>
  /** Extra options for a transport factory (`allowedOrigins`, `backpressure`, `server`…). */
  transportOptions?: TransportOptions<any> & Record<string, unknown>
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
  /** Messages kept per room by the in-memory history. Default 100. */
  historySize?: number
  history?: HistoryStore
  presence?: PresenceStore
  /** The topic bus (or just its adapter, e.g. Redis). Default: an in-memory bus. */
  bus?: EventBus<any> | BusAdapter
  /** Serve `/health`, `/api/stats`, `/metrics`, `POST /api/broadcast` (and static files). Default true. */
  http?: boolean | { staticFiles?: { dir: string } }
  /** Bearer secret of `POST /api/broadcast`; without it the route is not served. */
  broadcastSecret?: string
  /** Prometheus metrics; default: a registry of this server's own. */
  metrics?: ServerMetrics
  /** Pino-compatible logger. Default: silent. */
  logger?: Logger
  /** This node's id (stats, metrics). Default: random. */
  nodeId?: string
  /** WebSocket ping interval announced in `welcome` and given to the transport. Default 25,000 ms; 0 disables. */
  heartbeatMs?: number
  /** Also speak `hubbub.v1.msgpack`. Default true. */
  msgpack?: boolean
}

function isTransport(t: ServerOptions['transport']): t is Transport<any> {
  return t !== undefined && typeof t !== 'function'
}

function toShapes(behaviours: readonly RoomBehaviour[], roomIdSchema: z.ZodType) {
  const shapes: Record<string, z.ZodObject> = {}
  const owner = new Map<string, RoomBehaviour>()
  for (const b of behaviours) {
    for (const [type, schema] of Object.entries(b.messages)) {
      if (owner.has(type) && owner.get(type) !== b) {
        throw new ServerError('invalid_options', `message type "${type}" is defined by two room behaviours`)
      }
      if (!(schema instanceof z.ZodObject)) {
        throw new ServerError('invalid_options', `room message "${type}" must be a z.object(...)`)
      }
      owner.set(type, b)
      shapes[type] = z.object({ ...schema.shape, roomId: roomIdSchema })
    }
  }
  return { shapes, owner }
}

/**
 * A Hubbub server: one supervised actor per connection, one per room, a topic bus
 * bridged to the transport's native fan-out, auth at the upgrade, limits, the HTTP
 * API, metrics and graceful drain. `handleConnection` is the transport-free core.
 */
export class HubbubServer {
  readonly nodeId: string
  readonly system: ActorSystem
  readonly metrics: ServerMetrics
  readonly logger: Logger
  readonly limits: Limits
  readonly bus: EventBus<string | Uint8Array>
  readonly transport: Transport<any> | undefined
  readonly heartbeatMs: number
  readonly #options: ServerOptions
  readonly #encodeBinary: ((frame: OutgoingFrame) => Uint8Array) | undefined
  /** What connection records and actors use: the server's private side. */
  readonly #core: ConnectionCore
  readonly #directory: LocalConnectionDirectory
  readonly #roomUsers = new Map<string, number>()
  readonly #roomConnections = new Map<string, number>()
  readonly #startedAt = Date.now()
  readonly #ownsBus: boolean
  #connectionSupervisor: SupervisorRef | undefined
  readonly #ready: Promise<void>
  #closing: Promise<void> | undefined
  #port: number | undefined

  constructor(options: ServerOptions) {
    if (options === undefined || options.auth === undefined) {
      throw new ServerError(
        'invalid_options',
        'auth is required: pass hmacAuth({ secret }), an AuthHook, or { anonymous: true }',
      )
    }
    this.#options = options
    this.nodeId = options.nodeId ?? randomBytes(6).toString('hex')
    this.logger = options.logger ?? silentLogger
    const auth = 'anonymous' in options.auth ? undefined : options.auth
    this.heartbeatMs = options.heartbeatMs ?? 25_000
    this.metrics = options.metrics ?? createMetrics({ nodeId: this.nodeId })

    const protocol = createProtocol(options.limits === undefined ? {} : { limits: options.limits })
    this.limits = protocol.limits
    const routes =
      options.rooms === undefined ? [] : 'name' in options.rooms ? [] : (options.rooms as RoomRoute[])
    const single =
      options.rooms !== undefined && 'name' in options.rooms ? (options.rooms as RoomBehaviour) : undefined
    const behaviours = single ? [single] : routes.map((r) => r.behaviour)
    const { shapes, owner } = toShapes(behaviours, protocol.schemas.roomId)
    const codec = owner.size > 0 ? protocol.defineMessages(shapes) : protocol
    const jsonDecoder = codec as unknown as ClientDecoder
    let binaryDecoder: ClientDecoder | undefined
    if (options.msgpack !== false) {
      const mp = createMsgpackCodec(codec as never)
      binaryDecoder = mp as unknown as ClientDecoder
      this.#encodeBinary = (frame) => mp.encodeServerFrame(frame as never)
    } else {
      binaryDecoder = undefined
      this.#encodeBinary = undefined
    }

    this.#directory = new LocalConnectionDirectory({ encodeBinary: this.#encodeBinary })

    const bus = options.bus
    this.#ownsBus = bus === undefined || bus instanceof BusAdapter
    this.bus = bus instanceof EventBus ? bus : new EventBus({ ...(bus ? { adapter: bus } : {}) })

    this.system = new ActorSystem({
      onError: (report) =>
        this.logger.error({ err: report.error, phase: report.phase, actor: report.name }, 'actor crashed'),
      onExit: (ref, reason, lastState) => this.#core.actorExited(ref, reason, lastState),
    })

    this.transport = this.#buildTransport(options, auth)
    this.#core = new ConnectionCore({
      system: this.system,
      bridge: new TopicBridge(this.bus, this.transport),
      metrics: this.metrics,
      logger: this.logger,
      limits: this.limits,
      auth,
      jsonDecoder,
      binaryDecoder,
      encodeBinary: this.#encodeBinary,
      customTypes: owner,
      directory: this.#directory,
    })

    const behaviourFor = single
      ? () => single
      : (roomId: string) => {
          for (const r of routes) {
            if (typeof r.match === 'function' ? r.match(roomId) : r.match.test(roomId)) return r.behaviour
          }
          return chatRoom
        }
    this.#ready = this.#boot(behaviourFor)
    // A failed boot is reported when listen()/handleConnection() await it; never as an unhandled rejection.
    this.#ready.catch(() => {})
  }

  async #boot(behaviourFor: (roomId: string) => RoomBehaviour): Promise<void> {
    const o = this.#options
    const core = this.#core
    core.roomManager = await RoomManager.start({
      system: this.system,
      bus: this.bus,
      ...(o.history ? { history: o.history } : {}),
      ...(o.presence ? { presence: o.presence } : {}),
      historySize: o.historySize ?? 100,
      rooms: behaviourFor,
      presenceLimit: this.limits.presenceLimit,
      historyOnJoin: this.limits.historyDefaultLimit,
      emptyGraceMs: o.roomGraceMs ?? 30_000,
      encode: encodeServerFrame as (frame: OutgoingFrame) => string,
      ...(this.#encodeBinary ? { encodeBinary: this.#encodeBinary } : {}),
      observer: {
        members: (roomId, users, connections) => {
          if (users === 0) this.#roomUsers.delete(roomId)
          else this.#roomUsers.set(roomId, users)
          if (connections === 0) this.#roomConnections.delete(roomId)
          else this.#roomConnections.set(roomId, connections)
        },
        // Counted once per publish (by the room's local connections), never per recipient.
        published: (_roomId, connections) => this.metrics.fanoutDeliveries.inc(connections),
        exited: (roomId) => {
          core.bridge.close(roomTopic(roomId))
          core.bridge.close(roomBinaryTopic(roomId))
        },
        started: (roomId, restarted) => {
          core.bridge.open(roomTopic(roomId))
          core.bridge.open(roomBinaryTopic(roomId))
          this.metrics.rooms.set(core.roomManager?.count ?? 0)
          if (restarted) {
            this.metrics.actorRestarts.inc()
            this.logger.warn({ roomId }, 'room restarted with a new epoch')
          }
        },
        stopped: (roomId) => {
          this.#roomUsers.delete(roomId)
          this.logger.debug({ roomId }, 'room stopped')
        },
        error: (roomId, err) => this.logger.error({ err, roomId }, 'history store failed'),
      },
    })
    this.#connectionSupervisor = await Supervisor.start(this.system, {
      strategy: 'simple_one_for_one',
      child: { behaviour: ConnectionActor, restart: 'temporary', shutdown: 'brutal_kill' },
    })
  }

  #buildTransport(options: ServerOptions, auth: AuthHook | undefined): Transport<any> | undefined {
    const t = options.transport
    let transport: Transport<any> | undefined
    if (t === undefined) return undefined
    if (isTransport(t)) transport = t
    else {
      const supported: Subprotocol[] =
        options.msgpack === false ? ['hubbub.v1.json'] : ['hubbub.v1.json', 'hubbub.v1.msgpack']
      const limits = this.limits
      transport = t({
        maxPayload: limits.maxPayload,
        maxConnectionsPerIp: Number.isFinite(limits.connectionsPerAddress) ? limits.connectionsPerAddress : 0,
        heartbeat: { intervalMs: this.heartbeatMs },
        selectProtocol: (offered: readonly string[]) => {
          // `hubbub.token.<jwt>` entries carry credentials, not a wire format.
          const formats = offered.filter((p) => !isTokenProtocol(p))
          // Nothing offered (or only a token): v1 JSON, without a Sec-WebSocket-Protocol answer.
          if (formats.length === 0) return ''
          return negotiate(formats, supported)
        },
        ...options.transportOptions,
        // Always installed, so a draining server refuses new upgrades even in anonymous mode.
        authenticate: (req: UpgradeRequest) => {
          if (this.#closing !== undefined) throw new ServerError('closed', 'server is shutting down')
          return auth === undefined ? undefined : auth.authenticate(req)
        },
      })
    }
    transport.onConnection((conn) => this.#adopt(conn))
    const http = options.http ?? true
    if (http !== false) {
      transport.http(
        createHttpApi({
          ...(options.broadcastSecret === undefined ? {} : { broadcastSecret: options.broadcastSecret }),
          metrics: this.metrics,
          health: () => ({ connections: this.#directory.size }),
          stats: () => this.stats(),
          broadcast: (roomId, text, from) =>
            this.broadcast(roomId, { text, ...(from === undefined ? {} : { from }) }),
          broadcastWhere: (filter, payload) => this.broadcastWhere(filter, payload),
          ...(typeof http === 'object' && http.staticFiles ? { staticFiles: http.staticFiles } : {}),
          onError: (err, req) => this.logger.error({ err, path: req.path }, 'http handler failed'),
        }),
      )
    }
    return transport
  }

  #adopt(conn: Connection<any>): void {
    const handle = this.handleConnection(conn, {
      identity: conn.identity as Identity | undefined,
      protocol: conn.protocol,
      remoteAddress: conn.remoteAddress,
    })
    // Bound methods (48 B each) instead of two closures over one context (about 150 B per socket).
    conn.onMessage(handle.receive.bind(handle))
    conn.onClose(handle.closed.bind(handle))
    conn.onDrop(this.#countDrop)
  }

  readonly #countDrop = (): void => this.metrics.drops.inc()
  #rateConfigCache: RateLimitConfig | undefined
  get #rateConfig(): RateLimitConfig {
    this.#rateConfigCache ??= new RateLimitConfig({
      perSecond: this.limits.ratePerSecond,
      burst: this.limits.rateBurst,
      abuseMs: this.limits.rateAbuseMs,
    })
    return this.#rateConfigCache
  }

  get rooms(): RoomManager {
    return this.#core.rooms
  }

  /** Resolves once the actor tree is up (listen() and handleConnection() wait for it themselves). */
  get ready(): Promise<void> {
    return this.#ready
  }

  /** The bound port after `listen()`. */
  get port(): number | undefined {
    return this.#port
  }

  /** Starts the transport; resolves with the bound port (port 0 picks a free one). */
  async listen(options: { port?: number; host?: string } = {}): Promise<{ port: number }> {
    await this.#ready
    if (this.transport === undefined) throw new ServerError('invalid_options', 'no transport to listen on')
    const port = options.port ?? this.#options.port ?? 0
    const host = options.host ?? this.#options.host
    const bound = await this.transport.listen(host === undefined ? { port } : { port, host })
    this.#port = bound.port
    this.logger.info({ port: bound.port, transport: this.transport.name, nodeId: this.nodeId }, 'listening')
    return bound
  }

  /**
   * The transport-free core: adopts one socket-like object. Sends `welcome` at once;
   * feed it frames with `receive` and tell it about the socket closing with `closed`.
   */
  handleConnection(socket: SocketLike, info: ConnectionInfo = {}): ServerConnection {
    const id = randomBytes(9).toString('base64url')
    const binary = info.protocol === MSGPACK_SUBPROTOCOL && this.#core.binaryDecoder !== undefined
    const conn = new ConnectionRecord(
      id,
      socket,
      info.identity,
      binary,
      info.remoteAddress ?? '',
      this.#rateConfig,
      this.#core,
    )
    if (this.#closing !== undefined) {
      conn.isClosed = true
      socket.send(
        this.#core.encode(conn, {
          type: 'error',
          code: 'SERVER_SHUTDOWN',
          message: 'server is shutting down',
        }),
      )
      socket.close(CloseCode.GOING_AWAY, 'server shutting down')
      return conn
    }
    this.#directory.add(conn)
    this.metrics.connections.set(this.#directory.size)
    conn.send(
      this.#core.encode(conn, {
        type: 'welcome',
        connectionId: id,
        protocol: 1,
        serverTime: Date.now(),
        heartbeatMs: this.heartbeatMs,
      }),
    )
    void this.#startActor(conn)
    return conn
  }

  async #startActor(conn: ConnectionRecord): Promise<void> {
    try {
      await this.#ready
      if (conn.isClosed) return
      const ref = await Supervisor.startChild(this.#connectionSupervisor!, conn)
      if (conn.isClosed) {
        this.system.exit(ref, 'kill')
        return
      }
      const pending = conn.pending
      conn.pending = null
      if (pending !== null) for (const msg of pending) this.system.cast(ref, msg)
    } catch (err) {
      this.logger.error({ err, connectionId: conn.id }, 'connection actor failed to start')
      this.#core.closeConnection(conn, CloseCode.INTERNAL_ERROR, 'internal error')
    }
  }

  // ---------------------------------------------------------------- server API

  /**
   * Publishes to a room. `{ text, from? }` is a chat `message` (sequenced, stored,
   * fanned out with an offset); any other frame (with a `type`) is sent to every
   * member as is. Returns the local connections it reaches (0 if the room is not running).
   */
  broadcast(roomId: string, frame: { text: string; from?: string } | OutgoingFrame): number {
    const rooms = this.rooms
    const ref = rooms.whereis(roomId)
    if (ref === undefined) return 0
    const delivered = this.#roomConnections.get(roomId) ?? 0
    if (!('type' in frame) || frame.type === 'message') {
      const f = frame as { text: string; from?: string }
      this.system.cast(ref, { type: 'announce', from: f.from ?? 'server', text: String(f.text) })
    } else {
      this.bus.publish(roomTopic(roomId), encodeServerFrame(frame as OutgoingFrame))
      if (this.#encodeBinary) {
        this.bus.publish(roomBinaryTopic(roomId), this.#encodeBinary(frame as OutgoingFrame))
      }
    }
    return delivered
  }

  /** Sends `payload` (a server frame) to every connection matching the filter or predicate. Returns the count. */
  broadcastWhere(
    filter: BroadcastFilter | ((conn: ConnectionView) => boolean),
    payload: Record<string, unknown>,
  ): number {
    return this.#directory.broadcastWhere(filter, payload)
  }

  /** Sends `payload` to every connection of an authenticated user. Returns the count. */
  sendToUser(userId: string, payload: Record<string, unknown>): number {
    return this.#directory.sendToUser(userId, payload)
  }

  /** Closes every connection of a user (default 1000). Returns the count. */
  disconnectUser(
    userId: string,
    code: number = CloseCode.NORMAL,
    reason = 'disconnected by the server',
  ): number {
    return this.#directory.disconnectUser(userId, code, reason)
  }

  /** Closes one connection by id (default 1000). False when there is no such connection. */
  disconnect(
    connectionId: string,
    code: number = CloseCode.NORMAL,
    reason = 'disconnected by the server',
  ): boolean {
    return this.#directory.disconnect(connectionId, code, reason)
  }

  /**
   * Destroys one connection's socket without a closing handshake, as a dropped
   * network would (the client sees 1006 and reconnects). Its rooms announce
   * `user_left` as for any disconnect. False when there is no such connection.
   */
  terminate(connectionId: string): boolean {
    return this.#directory.terminate(connectionId)
  }

  /** What `/api/stats` serves. */
  stats(): ServerStats {
    return {
      connections: this.#directory.size,
      rooms: this.#core.roomManager?.count ?? 0,
      roomBreakdown: Object.fromEntries(this.#roomUsers),
      nodeId: this.nodeId,
      uptimeMs: Date.now() - this.#startedAt,
      timestamp: Date.now(),
    }
  }

  /** Open connections (all of them, transport or `handleConnection`). */
  get connections(): number {
    return this.#directory.size
  }

  /** The connection with this id (for admin tools and tests). */
  connection(id: string): ConnectionView | undefined {
    return this.#directory.connection(id)
  }

  /** The actor of a connection, for supervision tools and fault-injection tests. */
  connectionRef(id: string): AnyRef | undefined {
    return this.#directory.connection(id)?.ref
  }

  /**
   * Graceful drain: refuse new upgrades, send `SERVER_SHUTDOWN` then close every
   * socket with 1001, stop the transport, then the room supervisor, then the
   * connection supervisor. Resolves within `graceMs` (default 5,000) even if
   * something hangs; idempotent.
   */
  close(options: { graceMs?: number } = {}): Promise<void> {
    this.#closing ??= this.#drain(options.graceMs ?? 5000)
    return this.#closing
  }

  async #drain(graceMs: number): Promise<void> {
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref())
    const work = (async () => {
      await this.#ready.catch(() => {})
      const shutdown: OutgoingFrame = {
        type: 'error',
        code: 'SERVER_SHUTDOWN',
        message: 'server is shutting down',
      }
      for (const conn of [...this.#directory.local()]) {
        conn.send(this.#core.encode(conn, shutdown))
        this.#core.closeConnection(conn, CloseCode.GOING_AWAY, 'server shutting down')
      }
      if (this.transport !== undefined) {
        await this.transport.close({ graceMs: Math.max(0, graceMs - 100) }).catch((err: unknown) => {
          this.logger.warn({ err }, 'transport close failed')
        })
      }
      await this.#core.roomManager?.stop().catch(() => {})
      if (this.#connectionSupervisor && this.system.isAlive(this.#connectionSupervisor)) {
        await this.system.stop(this.#connectionSupervisor, 'shutdown').catch(() => {})
      }
      await this.system.shutdown({ timeout: Math.max(0, graceMs - 100) }).catch(() => {})
    })()
    await Promise.race([work.catch((err: unknown) => this.logger.error({ err }, 'drain failed')), deadline])
    this.#core.bridge.closeAll()
    if (this.#ownsBus) await this.bus.close().catch(() => {})
    if (this.#options.metrics === undefined) this.metrics.close()
    this.logger.info({ nodeId: this.nodeId }, 'closed')
  }
}

/** Creates a server; call `listen()` to start its transport. */
export function createServer(options: ServerOptions): HubbubServer {
  return new HubbubServer(options)
}
