import { randomBytes } from 'node:crypto'
import { ActorSystem, type AnyRef } from '@hubbub/actor'
import { BusAdapter, EventBus } from '@hubbub/bus'
import { createProtocol, type Limits } from '@hubbub/protocol'
import type { OutgoingFrame, RoomBehaviour, RoomManager } from '@hubbub/rooms'
import type { Transport } from '@hubbub/transport'
import { attachTransport } from './attachTransport.js'
import { broadcastToRoom } from './broadcastToRoom.js'
import { ConnectionCore } from './ConnectionCore.js'
import type { ConnectionView } from './ConnectionRecord.js'
import { drain } from './drain.js'
import type { BroadcastFilter, ServerStats } from './http/index.js'
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
  readonly #directory: LocalConnectionDirectory
  readonly #roomUsers = new Map<string, number>()
  readonly #roomConnections = new Map<string, number>()
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
    this.#options = options as ServerOptions
    this.nodeId = options.nodeId ?? randomBytes(6).toString('hex')
    this.logger = options.logger ?? silentLogger
    const auth = 'anonymous' in options.auth ? undefined : options.auth
    this.heartbeatMs = options.heartbeatMs ?? 25_000
    this.metrics = options.metrics ?? createMetrics({ nodeId: this.nodeId })

    const protocol = createProtocol(options.limits === undefined ? {} : { limits: options.limits })
    this.limits = protocol.limits
    const codecs = roomCodecs(options, protocol)
    this.#directory = new LocalConnectionDirectory({ encodeBinary: codecs.encodeBinary })

    const bus = options.bus
    this.#ownsBus = bus === undefined || bus instanceof BusAdapter
    this.bus = bus instanceof EventBus ? bus : new EventBus({ ...(bus ? { adapter: bus } : {}) })

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
    })
    this.transport = this.#transport as TransportOf<T>
    if (this.#transport !== undefined) mountHttpApi(this.#transport, options, this)
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
    })

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
      roomUsers: this.#roomUsers,
      roomConnections: this.#roomConnections,
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
  ): number {
    return this.#directory.broadcastWhere(filter, payload)
  }

  /** Sends `payload` to every connection of an authenticated user. Returns the count. */
  sendToUser(userId: string, payload: Record<string, unknown>): number {
    return this.#directory.sendToUser(userId, payload)
  }

  /** Closes every connection of a user (default 1000). Returns the count. */
  disconnectUser(userId: string, code?: number, reason?: string): number {
    return this.#directory.disconnectUser(userId, code, reason)
  }

  /** Closes one connection by id (default 1000). False when there is no such connection. */
  disconnect(connectionId: string, code?: number, reason?: string): boolean {
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
    this.#core.draining = true
    this.#closing ??= drain(
      {
        core: this.#core,
        transport: this.#transport,
        ownBus: this.#ownsBus ? this.bus : undefined,
        ownMetrics: this.#options.metrics === undefined ? this.metrics : undefined,
        nodeId: this.nodeId,
      },
      options.graceMs ?? 5000,
    )
    return this.#closing
  }
}

/** Creates a server; call `listen()` to start its transport. */
export function createServer<T extends ServerTransport = undefined>(
  options: ServerOptions<T>,
): HubbubServer<T> {
  return new HubbubServer(options)
}
