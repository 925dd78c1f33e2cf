import type { ActorSystem, AnyRef, ExitReason } from '@hubbub/actor'
import { CloseCode, encodeServerFrame, type Limits } from '@hubbub/protocol'
import type { OutgoingFrame, RoomBehaviour, RoomManager } from '@hubbub/rooms'
import type { AuthHook } from './auth/index.js'
import type { ClientDecoder } from './ClientDecoder.js'
import type { ConnectionDirectory } from './ConnectionDirectory.js'
import { ConnectionRecord } from './ConnectionRecord.js'
import type { Logger } from './Logger.js'
import type { ServerMetrics } from './metrics/index.js'
import { ServerError } from './ServerError.js'
import type { TopicBridge } from './TopicBridge.js'

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
  readonly directory: ConnectionDirectory
}

/**
 * What connection records and actors need from their server, and nothing of its
 * public API: one per server instance (no module state), created by the server and
 * held by every `ConnectionRecord` (`conn.core`) in place of the server itself.
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
  /** Behaviours by custom client frame type (frames the built-in protocol does not have). */
  readonly customTypes: ReadonlyMap<string, RoomBehaviour>
  /** Connections by id, user and name. */
  readonly directory: ConnectionDirectory
  readonly #encodeBinary: ((frame: OutgoingFrame) => Uint8Array) | undefined
  /** Set by the server once the room supervisor is up. */
  roomManager: RoomManager | undefined

  constructor(options: ConnectionCoreOptions) {
    this.system = options.system
    this.bridge = options.bridge
    this.metrics = options.metrics
    this.logger = options.logger
    this.limits = options.limits
    this.auth = options.auth
    this.jsonDecoder = options.jsonDecoder
    this.binaryDecoder = options.binaryDecoder
    this.#encodeBinary = options.encodeBinary
    this.customTypes = options.customTypes
    this.directory = options.directory
  }

  get rooms(): RoomManager {
    if (this.roomManager === undefined)
      throw new ServerError('not_started', 'the server is still starting; await server.ready')
    return this.roomManager
  }

  encode(conn: ConnectionRecord, frame: OutgoingFrame): string | Uint8Array {
    return conn.binary && this.#encodeBinary ? this.#encodeBinary(frame) : encodeServerFrame(frame)
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

  /** The socket closed on its own. */
  connectionClosed(conn: ConnectionRecord): void {
    if (conn.isClosed) return
    conn.isClosed = true
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
    for (const m of conn.membershipList()) this.system.cast(m.ref, { type: 'member_down', member: conn })
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
