import { randomBytes } from 'node:crypto'
import { ActorSystem, type AnyRef } from '@hubbub/actor'
import { BusAdapter, EventBus, type RegisteredNode } from '@hubbub/bus'
import { createProtocol, type Limits } from '@hubbub/protocol'
import type { OutgoingFrame, RoomBehaviour, RoomManager } from '@hubbub/rooms'
import type { Transport } from '@hubbub/transport'
import { attachTransport } from './attachTransport.js'
import { broadcastToRoom } from './broadcastToRoom.js'
import { ClusterConnectionDirectory } from './ClusterConnectionDirectory.js'
import { ConnectionCore } from './ConnectionCore.js'
import type { ConnectionView } from './ConnectionRecord.js'
import { drain } from './drain.js'
import type { BroadcastFilter, ServerStats } from './http/index.js'
import { type InspectorAction, InspectorFeed, inspectorHttp } from './inspector/index.js'
import {
  type IntrospectOptions,
  type IntrospectSource,
  introspect,
  RoomRates,
  readHistory,
  type ServerSnapshot,
} from './introspection/index.js'
import { LocalConnectionDirectory } from './LocalConnectionDirectory.js'
import { type Logger, silentLogger } from './Logger.js'
import { createMetrics, type ServerMetrics } from './metrics/index.js'
import { mountHttpApi } from './mountHttpApi.js'
import { roomCodecs } from './roomCodecs.js'
import { ServerError } from './ServerError.js'
import type { ServerOptions, ServerTransport, TransportOf } from './ServerOptions.js'
import type { ConnectionInfo, ServerConnection, SocketLike } from './SocketLike.js'
import { startRooms } from './startRooms.js'
import { TopicBridge } from './TopicBridge.js'

/**
 * A Hubbub server: one supervised actor per connection, one per room, a topic bus
 * bridged to the transport's native fan-out, auth at the upgrade, limits, the HTTP
 * API, metrics and graceful drain. `handleConnection` is the transport-free core.
 */
export class HubbubServer<T extends ServerTransport = ServerTransport> {
  readonly nodeId: string
  readonly system: ActorSystem
  readonly metrics: ServerMetrics
  readonly logger: Logger
  readonly limits: Limits
  readonly bus: EventBus<string | Uint8Array>
  /** The transport the server runs on, typed from `options.transport` (a `WsTransport` for `wsTransport`). */
  readonly transport: TransportOf<T>
  readonly #transport: Transport<any> | undefined
  readonly heartbeatMs: number
  readonly #options: ServerOptions
  /** The connection side (adopting, closing, what records and actors use): the server's private part. */
  readonly #core: ConnectionCore
  readonly #directory: LocalConnectionDirectory | ClusterConnectionDirectory
  readonly #roomConnections = new Map<string, number>()
  readonly #rates = new RoomRates()
  readonly #startedAt = Date.now()
  readonly #ownsBus: boolean
  readonly #ready: Promise<void>
  #closing: Promise<void> | undefined
  #port: number | undefined

  constructor(options: ServerOptions<T>) {
    if (options === undefined || options.auth === undefined) {
      throw new ServerError(
        'invalid_options',
        'auth is required: pass hmacAuth({ secret }), an AuthHook, or { anonymous: true }',
      )
    }
    if (options.broadcastSecret === '') {
      throw new ServerError(
        'invalid_options',
        'broadcastSecret is empty: pass a long random string, or leave it undefined to not serve POST /api/broadcast',
      )
    }
    const graceMs = options.presenceGraceMs
    if (graceMs !== undefined && !(Number.isInteger(graceMs) && graceMs >= 0 && graceMs <= 2 ** 31 - 1)) {
      throw new ServerError(
        'invalid_options',
        `presenceGraceMs must be a whole number of milliseconds from 0 to ${2 ** 31 - 1}`,
      )
    }
    const batchMs = options.presenceBatchMs
    if (batchMs !== undefined && !(Number.isInteger(batchMs) && batchMs >= 0 && batchMs <= 60_000)) {
      throw new ServerError(
        'invalid_options',
        'presenceBatchMs must be a whole number of milliseconds from 0 to 60,000',
      )
    }
    const batchMaxMs = options.presenceBatchMaxMs
    if (
      batchMaxMs !== undefined &&
      !(Number.isInteger(batchMaxMs) && batchMaxMs >= 0 && batchMaxMs <= 60_000)
    ) {
      throw new ServerError(
        'invalid_options',
        'presenceBatchMaxMs must be a whole number of milliseconds from 0 to 60,000',
      )
    }
    this.#options = options as ServerOptions
    this.nodeId = options.nodeId ?? randomBytes(6).toString('hex')
    this.logger = options.logger ?? silentLogger
    const auth = 'anonymous' in options.auth ? undefined : options.auth
    this.heartbeatMs = options.heartbeatMs ?? 25_000
    this.metrics = options.metrics ?? createMetrics({ nodeId: this.nodeId })

    const protocol = createProtocol(options.limits === undefined ? {} : { limits: options.limits })
    this.limits = protocol.limits
    const codecs = roomCodecs(options, protocol)
    const bus = options.bus
    this.#ownsBus = bus === undefined || bus instanceof BusAdapter
    this.bus = bus instanceof EventBus ? bus : new EventBus({ ...(bus ? { adapter: bus } : {}) })
    this.#directory = connectionDirectory(options, this.bus, codecs.encodeBinary, this.nodeId, this.logger)

    this.system = new ActorSystem({
      onError: (report) =>
        this.logger.error({ err: report.error, phase: report.phase, actor: report.name }, 'actor crashed'),
      onExit: (ref, reason, lastState) => this.#core.actorExited(ref, reason, lastState),
    })

    this.#transport = attachTransport(options as ServerOptions, {
      auth,
      limits: this.limits,
      heartbeatMs: this.heartbeatMs,
      metrics: this.metrics,
      closing: () => this.#core.draining,
      handleConnection: (socket, info) => this.handleConnection(socket, info),
      refuse: (socket, protocol, message) => this.#core.refuse(socket, protocol, message),
      inspectorSecret: options.inspector === undefined ? undefined : options.inspector.secret,
    })
    this.transport = this.#transport as TransportOf<T>
    if (this.#transport !== undefined) mountHttpApi(this.#transport, options, this)
    if (options.inspector !== undefined) {
      const wsPath = (options.transportOptions as { path?: string } | undefined)?.path ?? '/ws'
      const handler = inspectorHttp(
        options.inspector,
        { introspect: () => this.introspect(), act: (a) => this.#act(a) },
        wsPath,
      )
      this.#transport?.http(handler)
    }
    this.#core = new ConnectionCore({
      ...codecs, // decoders, the msgpack encoder, custom types
      system: this.system,
      bridge: new TopicBridge(this.bus, this.#transport),
      metrics: this.metrics,
      logger: this.logger,
      limits: this.limits,
      auth,
      directory: this.#directory,
      heartbeatMs: this.heartbeatMs,
      presenceGraceMs: options.presenceGraceMs ?? 5000,
    })

    if (options.inspector !== undefined) {
      this.#core.inspector = new InspectorFeed({
        system: this.system,
        introspect: (o) => this.introspect(o),
        history: (ids) => readHistory(this.#introspectSource(), ids),
        act: (a) => this.#act(a),
      })
    }

    this.#ready = this.#boot(codecs.behaviourFor)
    this.#core.ready = this.#ready
    // A failed boot is reported when listen()/handleConnection() await it; never as an unhandled rejection.
    this.#ready.catch(() => {})
  }

  async #boot(behaviourFor: (roomId: string) => RoomBehaviour): Promise<void> {
    this.#core.roomManager = await startRooms({
      nodeId: this.nodeId,
      options: this.#options,
      core: this.#core,
      bus: this.bus,
      behaviourFor,
      encodeBinary: this.#core.encodeBinary,
      roomConnections: this.#roomConnections,
      rates: this.#rates,
    })
    await this.#core.startSupervisor()
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
    if (this.#transport === undefined) throw new ServerError('invalid_options', 'no transport to listen on')
    const port = options.port ?? this.#options.port ?? 0
    const host = options.host ?? this.#options.host
    const bound = await this.#transport.listen(host === undefined ? { port } : { port, host })
    this.#port = bound.port
    this.logger.info({ port: bound.port, transport: this.#transport.name, nodeId: this.nodeId }, 'listening')
    return bound
  }

  /**
   * The transport-free core: adopts one socket-like object. Sends `welcome` at once;
   * feed it frames with `receive` and tell it about the socket closing with `closed`.
   */
  handleConnection(socket: SocketLike, info: ConnectionInfo = {}): ServerConnection {
    return this.#core.adopt(socket, info)
  }

  // ---------------------------------------------------------------- server API

  /**
   * Publishes to a room. `{ text, from? }` is a chat `message` (sequenced, stored,
   * fanned out with an offset); any other frame (with a `type`) is sent to every
   * member as is. Returns the local connections it reaches (0 if the room is not running).
   */
  broadcast(roomId: string, frame: { text: string; from?: string } | OutgoingFrame): number {
    const local = this.#roomConnections.get(roomId) ?? 0
    return broadcastToRoom(this.rooms, this.bus, this.#core.encodeBinary, local, roomId, frame)
  }

  /** Sends `payload` (a server frame) to every connection matching the filter or predicate. Returns the count. */
  broadcastWhere(
    filter: BroadcastFilter | ((conn: ConnectionView) => boolean),
    payload: Record<string, unknown>,
  ): number | Promise<number> {
    return this.#directory.broadcastWhere(filter, payload)
  }

  /**
   * Sends `payload` to every connection of an authenticated user. Returns the count (with a
   * `registry`: on every live node, as a promise).
   */
  sendToUser(userId: string, payload: Record<string, unknown>): number | Promise<number> {
    return this.#directory.sendToUser(userId, payload)
  }

  /** Closes every connection of a user (default 1000). Returns the count. */
  disconnectUser(userId: string, code?: number, reason?: string): number | Promise<number> {
    return this.#directory.disconnectUser(userId, code, reason)
  }

  /** Closes one connection by id (default 1000), on any node. False when there is no such connection. */
  disconnect(connectionId: string, code?: number, reason?: string): boolean | Promise<boolean> {
    return this.#directory.disconnect(connectionId, code, reason)
  }

  /**
   * Destroys one connection's socket without a closing handshake, as a dropped
   * network would (the client sees 1006 and reconnects). Its rooms announce
   * `user_left` as for any disconnect. False when there is no such connection.
   */
  terminate(connectionId: string): boolean | Promise<boolean> {
    return this.#directory.terminate(connectionId)
  }

  /**
   * The nodes serving this application, with their connection counts: as the `registry` last
   * heard from them, or this node alone without one.
   */
  async nodes(): Promise<RegisteredNode[]> {
    if (this.#directory instanceof ClusterConnectionDirectory) return this.#directory.nodes()
    return [{ node: this.nodeId, connections: this.#directory.size, lastSeen: Date.now() }]
  }

  /**
   * What `/api/stats` serves. `roomBreakdown` is read from the presence store in one call, so with
   * a store shared by nodes it counts every node's users; `connections` and `rooms` are this node's;
   * `nodes` as `nodes()`.
   */
  async stats(): Promise<ServerStats> {
    await this.#ready
    const [rooms, nodes] = await Promise.all([this.#core.rooms.env.presence.rooms(), this.nodes()])
    return {
      connections: this.#directory.size,
      rooms: this.#core.roomManager?.count ?? 0,
      roomBreakdown: Object.fromEntries(rooms.map((r) => [r.id, r.userCount])),
      nodeId: this.nodeId,
      uptimeMs: Date.now() - this.#startedAt,
      timestamp: Date.now(),
      nodes,
    }
  }

  /**
   * What an operator's view shows of this node, read now: its running rooms (local members,
   * last offset, kept history, frames/s), its connections (rooms, buffered bytes, frames
   * in/out, rate-limit hits) and the actor tree. Never message texts or tokens.
   */
  async introspect(options?: IntrospectOptions): Promise<ServerSnapshot> {
    await this.#ready
    return introspect(this.#introspectSource(), options)
  }

  #introspectSource(): IntrospectSource {
    return {
      nodeId: this.nodeId,
      startedAt: this.#startedAt,
      system: this.system,
      rooms: this.#core.roomManager,
      directory: this.#directory,
      rates: this.#rates,
      historySize: this.#options.historySize ?? 100,
      userRateLimits: this.#core.userRateLimits.size,
    }
  }

  /** An inspector action: terminate a connection, or crash a running room (its supervisor restarts it). */
  async #act(action: InspectorAction): Promise<{ ok: boolean; message?: string }> {
    if (action.action === 'terminate') {
      const done = await this.terminate(action.connectionId)
      return done ? { ok: true } : { ok: false, message: 'no such connection' }
    }
    const ref = this.#core.roomManager?.whereis(action.roomId)
    if (ref === undefined) return { ok: false, message: 'the room is not running here' }
    this.system.exit(ref, { error: new Error('crashed from the inspector') })
    return { ok: true }
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
    this.#core.draining = true
    this.#rates.stop()
    this.#core.inspector?.stop()
    this.#closing ??= drain(
      {
        core: this.#core,
        transport: this.#transport,
        ownBus: this.#ownsBus ? this.bus : undefined,
        ownMetrics: this.#options.metrics === undefined ? this.metrics : undefined,
        nodeId: this.nodeId,
      },
      options.graceMs ?? 5000,
    ).then(() => (this.#directory instanceof ClusterConnectionDirectory ? this.#directory.stop() : undefined))
    return this.#closing
  }
}

/** The in-process directory, or with a `registry` the cluster one around it. */
function connectionDirectory(
  options: ServerOptions,
  bus: EventBus<string | Uint8Array>,
  encodeBinary: ((frame: OutgoingFrame) => Uint8Array) | undefined,
  nodeId: string,
  logger: Logger,
): LocalConnectionDirectory | ClusterConnectionDirectory {
  const local = new LocalConnectionDirectory({ encodeBinary })
  if (options.registry === undefined) return local
  if (!bus.adapter.distributed) {
    throw new ServerError(
      'invalid_options',
      'registry needs a bus adapter that reaches the other nodes (e.g. a Redis bus adapter): with the in-process bus its messages would go nowhere',
    )
  }
  return new ClusterConnectionDirectory({
    local,
    registry: options.registry,
    adapter: bus.adapter,
    nodeId,
    logger,
    heartbeatMs: options.presenceHeartbeatMs ?? 5000,
  })
}

/** Creates a server; call `listen()` to start its transport. */
export function createServer<T extends ServerTransport = undefined>(
  options: ServerOptions<T>,
): HubbubServer<T> {
  return new HubbubServer(options)
}
