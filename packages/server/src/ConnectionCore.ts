import { type ActorSystem, type AnyRef, type ExitReason, Supervisor, type SupervisorRef } from '@hubbub/actor'
import { CloseCode, encodeServerFrame, type Limits, MSGPACK_SUBPROTOCOL } from '@hubbub/protocol'
import type { OutgoingFrame, RoomBehaviour, RoomManager } from '@hubbub/rooms'
import type { AuthHook } from './auth/index.js'
import type { ClientDecoder } from './ClientDecoder.js'
import { ConnectionActor } from './ConnectionActor.js'
import type { ConnectionDirectory } from './ConnectionDirectory.js'
import { ConnectionRecord } from './ConnectionRecord.js'
import type { InspectorFeed, InspectorWatcher } from './inspector/InspectorFeed.js'
import type { Logger } from './Logger.js'
import type { ServerMetrics } from './metrics/index.js'
import { RateLimitConfig } from './RateLimiter.js'
import { randomId } from './randomId.js'
import { ServerError } from './ServerError.js'
import type { ConnectionInfo, SocketLike } from './SocketLike.js'
import type { TopicBridge } from './TopicBridge.js'
import type { TypeLimit } from './TypeBuckets.js'
import { UserRateLimits } from './UserRateLimits.js'

export interface ConnectionCoreOptions {
  readonly system: ActorSystem
  readonly bridge: TopicBridge
  readonly metrics: ServerMetrics
  readonly logger: Logger
  readonly limits: Limits
  readonly auth: AuthHook | undefined
  readonly jsonDecoder: ClientDecoder
  readonly binaryDecoder: ClientDecoder | undefined
  readonly encodeBinary: ((frame: OutgoingFrame) => Uint8Array) | undefined
  readonly customTypes: ReadonlyMap<string, RoomBehaviour>
  readonly sharedTypes: ReadonlySet<string>
  readonly limitOf: ((roomId: string, type: string) => TypeLimit | undefined) | undefined
  readonly userLimited: ((roomId: string) => boolean) | undefined
  readonly directory: ConnectionDirectory
  /** Announced in every `welcome`. */
  readonly heartbeatMs: number
  /** How long a dropped connection's presence is kept (0: none); announced in every `welcome`. */
  readonly presenceGraceMs: number
}

/** Close codes of a connection that ended without the client meaning to leave: a network cut, a page unload. */
const droppedCodes: ReadonlySet<number> = new Set([CloseCode.GOING_AWAY, 1006])

/**
 * The connection side of a server, and none of its public API: adopting sockets,
 * starting their actors, closing them, and what connection records and actors use.
 * One per server instance (no module state), created by the server and held by
 * every `ConnectionRecord` (`conn.core`) in place of the server itself.
 */
export class ConnectionCore {
  readonly system: ActorSystem
  readonly bridge: TopicBridge
  readonly metrics: ServerMetrics
  readonly logger: Logger
  readonly limits: Limits
  readonly auth: AuthHook | undefined
  readonly jsonDecoder: ClientDecoder
  readonly binaryDecoder: ClientDecoder | undefined
  /** The msgpack encoder; undefined when msgpack is off. */
  readonly encodeBinary: ((frame: OutgoingFrame) => Uint8Array) | undefined
  /** Behaviours by custom client frame type (frames the built-in protocol does not have). */
  readonly customTypes: ReadonlyMap<string, RoomBehaviour>
  /** Custom types several behaviours define: the room checks their body (see `roomCodecs`). */
  readonly sharedTypes: ReadonlySet<string>
  /** A behaviour's own rate limit of a custom type in a room; undefined when no behaviour sets one. */
  readonly limitOf: ((roomId: string, type: string) => TypeLimit | undefined) | undefined
  /** Whether a room's behaviour limits a type per user; undefined when no behaviour does. */
  readonly userLimited: ((roomId: string) => boolean) | undefined
  /** The per-user buckets of those types, held by each connection of the user in the room. */
  readonly userRateLimits = new UserRateLimits()
  /** Connections by id, user and name. */
  readonly directory: ConnectionDirectory
  readonly #heartbeatMs: number
  readonly presenceGraceMs: number
  /** Resume tokens of this node's dropped anonymous connections within their grace (an open one is not resumable). */
  readonly #resumable = new Map<string, ConnectionRecord>()
  /** The token-bucket settings every connection's limiter shares. */
  readonly #rate: RateLimitConfig
  /** Set by the server: its boot (rooms, then the connection supervisor); actors start once it is over. */
  ready: Promise<void> = Promise.resolve()
  /** Set by the server once the room supervisor is up. */
  roomManager: RoomManager | undefined
  /** Set by the server once the connection supervisor is up (after the rooms). */
  connectionSupervisor: SupervisorRef | undefined
  /** Set by the server when it starts draining: new connections are refused. */
  draining = false
  /** Set by the server when it has an inspector: the feed its inspector connections watch. */
  inspector: InspectorFeed | undefined
  /** Connections that gave the inspector secret at the upgrade (only they may join `hubbub:inspector`). */
  readonly inspectors = new Map<ConnectionRecord, InspectorWatcher>()

  constructor(options: ConnectionCoreOptions) {
    this.system = options.system
    this.bridge = options.bridge
    this.metrics = options.metrics
    this.logger = options.logger
    this.limits = options.limits
    this.auth = options.auth
    this.jsonDecoder = options.jsonDecoder
    this.binaryDecoder = options.binaryDecoder
    this.encodeBinary = options.encodeBinary
    this.customTypes = options.customTypes
    this.sharedTypes = options.sharedTypes
    this.limitOf = options.limitOf
    this.userLimited = options.userLimited
    this.directory = options.directory
    this.#heartbeatMs = options.heartbeatMs
    this.presenceGraceMs = options.presenceGraceMs
    const { ratePerSecond: perSecond, rateBurst: burst, rateAbuseMs: abuseMs } = options.limits
    this.#rate = new RateLimitConfig({ perSecond, burst, abuseMs })
  }

  /** Starts the supervisor of connection actors (restart `temporary`: a crashed connection is closed, not restarted). */
  async startSupervisor(): Promise<void> {
    this.connectionSupervisor = await Supervisor.start(this.system, {
      name: 'hubbub:connections',
      strategy: 'simple_one_for_one',
      child: { behaviour: ConnectionActor, restart: 'temporary', shutdown: 'brutal_kill' },
    })
  }

  get rooms(): RoomManager {
    if (this.roomManager === undefined)
      throw new ServerError('not_started', 'the server is still starting; await server.ready')
    return this.roomManager
  }

  encode(conn: ConnectionRecord, frame: OutgoingFrame): string | Uint8Array {
    return conn.binary && this.encodeBinary ? this.encodeBinary(frame) : encodeServerFrame(frame)
  }

  /**
   * Adopts one socket: registers it and sends `welcome` at once, then starts its
   * actor once the server is ready. While draining it is refused (SERVER_SHUTDOWN, 1001).
   */
  adopt(socket: SocketLike, info: ConnectionInfo): ConnectionRecord {
    const id = randomId(9)
    const binary = info.protocol === MSGPACK_SUBPROTOCOL && this.binaryDecoder !== undefined
    const conn = new ConnectionRecord(
      id,
      socket,
      info.identity,
      binary,
      info.remoteAddress ?? '',
      this.#rate,
      this,
    )
    if (this.draining) {
      conn.isClosed = true
      socket.send(
        this.encode(conn, { type: 'error', code: 'SERVER_SHUTDOWN', message: 'server is shutting down' }),
      )
      socket.close(CloseCode.GOING_AWAY, 'server shutting down')
      return conn
    }
    this.directory.add(conn)
    this.metrics.connections.set(this.directory.size)
    if (info.inspector === true) {
      this.inspectors.set(conn, {
        sendFrame: (frame) => conn.send(this.encode(conn, frame as OutgoingFrame)),
      })
    }
    const welcome: OutgoingFrame = {
      type: 'welcome',
      connectionId: id,
      protocol: 1,
      serverTime: Date.now(),
      heartbeatMs: this.#heartbeatMs,
      presenceGraceMs: this.presenceGraceMs,
    }
    // Authenticated users are recognised by their user id; anonymous ones need a token to come back as themselves.
    if (this.presenceGraceMs > 0 && conn.identity === undefined) {
      const token = randomId(24)
      // only a dropped connection can be resumed: it enters #resumable when it drops
      conn.resumeToken = token
      welcome.resumeToken = token
    }
    conn.send(this.encode(conn, welcome))
    void this.#startActor(conn)
    return conn
  }

  /** A socket whose credential was refused: one `UNAUTHORIZED` error in its own format, then close 4401. */
  refuse(socket: SocketLike, protocol: string, message: string): void {
    const frame = { type: 'error', code: 'UNAUTHORIZED', message } as const
    const binary = protocol === MSGPACK_SUBPROTOCOL && this.encodeBinary !== undefined
    socket.send(binary ? this.encodeBinary!(frame) : encodeServerFrame(frame))
    socket.close(CloseCode.UNAUTHORIZED, 'unauthorized')
  }

  async #startActor(conn: ConnectionRecord): Promise<void> {
    try {
      await this.ready
      if (conn.isClosed) return
      const ref = await Supervisor.startChild(this.connectionSupervisor!, conn)
      if (conn.isClosed) {
        this.system.exit(ref, 'kill')
        return
      }
      const pending = conn.pending
      conn.pending = null
      if (pending !== null) for (const msg of pending) this.system.cast(ref, msg)
    } catch (err) {
      this.logger.error({ err, connectionId: conn.id }, 'connection actor failed to start')
      this.closeConnection(conn, CloseCode.INTERNAL_ERROR, 'internal error')
    }
  }

  /** Closes the socket and cleans the connection up (idempotent). */
  closeConnection(conn: ConnectionRecord, code: number, reason: string): void {
    if (conn.isClosed) return
    try {
      conn.socket.close(code, reason)
    } catch (err) {
      this.logger.debug({ err, connectionId: conn.id }, 'socket close failed')
    }
    this.connectionClosed(conn)
  }

  /**
   * The connection `token` was given to, if it may be resumed: closed, within its grace, token
   * unused, and named `username` (when given). Taking it uses the token up.
   */
  takeResumable(token: string, username: string | undefined): ConnectionRecord | undefined {
    const owner = this.#resumable.get(token)
    if (owner === undefined || !owner.isClosed || owner.name === '') return undefined
    if (username !== undefined && username !== owner.name) return undefined
    this.#resumable.delete(token)
    return owner
  }

  /**
   * The socket closed (`code` as the transport saw it), or the server is closing it (no code).
   * A drop (1006, 1001) keeps the connection's presence for `presenceGraceMs`.
   */
  connectionClosed(conn: ConnectionRecord, code?: number): void {
    if (conn.isClosed) return
    conn.isClosed = true
    if (this.inspectors.size > 0) {
      const watcher = this.inspectors.get(conn)
      if (watcher !== undefined) {
        this.inspectors.delete(conn)
        this.inspector?.unwatch(watcher)
      }
    }
    const dropped = code !== undefined && droppedCodes.has(code) && this.presenceGraceMs > 0
    if (dropped) conn.presenceGraceMs = this.presenceGraceMs
    const token = conn.resumeToken
    if (token !== undefined && dropped) {
      this.#resumable.set(token, conn)
      const expire = (): void => {
        if (this.#resumable.get(token) === conn) this.#resumable.delete(token)
      }
      setTimeout(expire, this.presenceGraceMs).unref()
    }
    if (this.directory.remove(conn)) this.metrics.connections.set(this.directory.size)
    const ref = conn.ref
    // Stopping the actor is what removes the member from its rooms: they monitor it and see DOWN.
    if (ref !== undefined && this.system.isAlive(ref)) this.system.exit(ref, 'shutdown')
  }

  /** The actor system's exit hook: a connection actor ended (or a room actor: then the room count changed). */
  actorExited(ref: AnyRef, reason: ExitReason, lastState: unknown): void {
    // A connection actor's state is its record, so no ref → record map is kept per connection.
    const conn = lastState instanceof ConnectionRecord && lastState.ref === ref ? lastState : undefined
    if (conn === undefined) {
      if (typeof reason === 'object' && 'error' in reason)
        this.metrics.rooms.set(this.roomManager?.count ?? 0)
      else queueMicrotask(() => this.metrics.rooms.set(this.roomManager?.count ?? 0))
      return
    }
    // Rooms learn about a member's end here, once per membership, instead of through a monitor each.
    for (const m of conn.membershipList()) {
      conn.releaseBuckets(m)
      this.system.cast(m.ref, { type: 'member_down', member: conn })
    }
    if (typeof reason === 'object' && 'error' in reason) {
      // Only this socket is affected; its rooms see DOWN and announce user_left.
      this.metrics.actorRestarts.inc()
      this.logger.warn({ connectionId: conn.id }, 'connection actor crashed; closing its socket with 1011')
      this.closeConnection(conn, CloseCode.INTERNAL_ERROR, 'internal error')
    } else if (!conn.isClosed) {
      this.closeConnection(conn, CloseCode.NORMAL, '')
    }
  }
}
