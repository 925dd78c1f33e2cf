import type { AnyRef } from '@hubbub/actor'
import {
  type RoomLostCode,
  type RoomMember,
  type RoomRef,
  type RoomUser,
  roomBinaryTopic,
  roomTopic,
} from '@hubbub/rooms'
import type { Identity } from './auth/index.js'
import type { ConnectionCore } from './ConnectionCore.js'
import { type RateLimitConfig, RateLimiter } from './RateLimiter.js'
import type { ServerConnection, SocketLike } from './SocketLike.js'

/** A room this connection is in, as the connection tracks it. */
export interface Membership {
  readonly roomId: string
  readonly ref: RoomRef
}

/** Binary frames are wrapped so a text frame (the common case) travels through the mailbox unwrapped. */
export class BinaryFrame {
  constructor(readonly data: Uint8Array) {}
}

/** What `broadcastWhere` predicates see of a connection. */
export interface ConnectionView {
  readonly id: string
  readonly identity: Identity | undefined
  /** The name it shows in rooms ('' until its first join, for anonymous connections). */
  readonly name: string
  readonly remoteAddress: string
  /** Ids of the rooms it is in. */
  rooms(): string[]
}

/**
 * Everything the server keeps per connection, in one object: it is the room
 * member (rooms hold it directly), the handle the transport feeds, and the
 * connection actor's state. One allocation per socket keeps idle connections small.
 */
export class ConnectionRecord
  extends RateLimiter
  implements RoomMember, RoomUser, ServerConnection, ConnectionView
{
  /** Set by the actor's init; undefined (despite the type) until then, which `receive` checks. */
  ref: AnyRef = undefined as unknown as AnyRef
  name = ''
  /** Rooms it is in: one Membership in the common case, an array only from the second room. */
  memberships: Membership | Membership[] | null = null
  /** Frames that arrived before the actor was running. */
  pending: (string | Uint8Array | BinaryFrame)[] | null = null
  isClosed = false
  /** Introspection counters (`server.introspect()`): plain increments on paths that run anyway. */
  framesIn = 0
  framesOut = 0
  rateLimited = 0
  /** Set when the socket dropped (1006, 1001): how long its rooms keep its presence (see RoomMember). */
  presenceGraceMs = 0
  /** The `welcome.resumeToken` of this connection (anonymous, with a presence grace). */
  resumeToken: string | undefined = undefined
  /** The presence key taken over from an earlier connection through `join.resume`. */
  resumedKey: string | undefined = undefined
  /** Token buckets of custom types a room behaviour limits on its own (`rateLimits`), by room and type. */
  typeLimiters: Map<string, RateLimiter> | undefined = undefined

  constructor(
    readonly id: string,
    readonly socket: SocketLike,
    readonly identity: Identity | undefined,
    readonly binary: boolean,
    readonly remoteAddress: string,
    rate: RateLimitConfig,
    readonly core: ConnectionCore,
  ) {
    super(rate)
    if (identity !== undefined) this.name = identity.name
  }

  /** The bucket of a type a behaviour limits in a room (created on the first such frame). */
  typeLimiter(roomId: string, type: string, config: RateLimitConfig): RateLimiter {
    const key = `${type}\u0000${roomId}`
    let map = this.typeLimiters
    if (map === undefined) this.typeLimiters = map = new Map()
    let limiter = map.get(key)
    if (limiter === undefined) {
      limiter = new RateLimiter(config)
      map.set(key, limiter)
    }
    return limiter
  }

  /** The connection's token bucket: the record is its own limiter (one object less per socket). */
  get limiter(): RateLimiter {
    return this
  }

  // RoomUser
  get user(): RoomUser {
    return this
  }
  get userId(): string | undefined {
    return this.identity?.userId
  }
  get orgId(): string | undefined {
    return this.identity?.orgId
  }
  get connectionId(): string {
    return this.id
  }
  /**
   * Anonymous: the connection id itself (no extra string; ids never contain ':'), or that of the
   * connection it resumed. Authenticated: `id:<userId>`.
   */
  get key(): string {
    return this.identity === undefined ? (this.resumedKey ?? this.id) : `id:${this.identity.userId}`
  }

  rooms(): string[] {
    return this.membershipList().map((m) => m.roomId)
  }

  /** The rooms it is in, as a fresh array (safe to iterate while memberships change). */
  membershipList(): Membership[] {
    const m = this.memberships
    return m === null ? [] : Array.isArray(m) ? m.slice() : [m]
  }

  get membershipCount(): number {
    const m = this.memberships
    return m === null ? 0 : Array.isArray(m) ? m.length : 1
  }

  membership(roomId: string): Membership | undefined {
    const m = this.memberships
    if (m === null) return undefined
    if (!Array.isArray(m)) return m.roomId === roomId ? m : undefined
    for (let i = 0; i < m.length; i++) if (m[i]!.roomId === roomId) return m[i]
    return undefined
  }

  addMembership(membership: Membership): void {
    const m = this.memberships
    if (m === null) this.memberships = membership
    else if (Array.isArray(m)) m.push(membership)
    else this.memberships = [m, membership]
  }

  removeMembership(roomId: string): Membership | undefined {
    const m = this.memberships
    if (m === null) return undefined
    if (!Array.isArray(m)) {
      if (m.roomId !== roomId) return undefined
      this.memberships = null
      return m
    }
    const i = m.findIndex((x) => x.roomId === roomId)
    if (i < 0) return undefined
    const [removed] = m.splice(i, 1)
    if (m.length === 1) this.memberships = m[0]!
    else if (m.length === 0) this.memberships = null
    return removed
  }

  roomLost(roomId: string, room: AnyRef, code?: RoomLostCode): void {
    // Release the topic at once (even for a closed connection); the actor tells the client.
    this.unsubscribe(this.binary && this.core.binaryDecoder ? roomBinaryTopic(roomId) : roomTopic(roomId))
    if (!this.isClosed && this.ref !== undefined)
      this.core.system.send(
        this.ref,
        code === undefined ? { type: 'room_lost', roomId, room } : { type: 'room_lost', roomId, room, code },
      )
  }

  // RoomMember
  send(data: string | Uint8Array): void {
    if (this.isClosed) return
    this.socket.send(data)
    this.framesOut++
    this.core.metrics.messagesOut.inc()
  }
  subscribe(topic: string): void {
    if (!this.isClosed) this.core.bridge.subscribe(this, topic)
  }
  unsubscribe(topic: string): void {
    this.core.bridge.unsubscribe(this, topic)
  }

  // ServerConnection
  receive(data: string | Uint8Array, isBinary = false): void {
    if (this.isClosed) return
    const msg = isBinary ? new BinaryFrame(data as Uint8Array) : data
    if (this.ref === undefined) {
      if (this.pending === null) this.pending = []
      this.pending.push(msg)
      return
    }
    this.core.system.cast(this.ref, msg)
  }
  closed(code?: number): void {
    this.core.connectionClosed(this, code)
  }
}
