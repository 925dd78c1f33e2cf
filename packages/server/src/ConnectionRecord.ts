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
import { TypeBuckets } from './TypeBuckets.js'

/** A room this connection is in, as the connection tracks it. */
export interface Membership {
  readonly roomId: string
  readonly ref: RoomRef
  /** Its user's buckets of the types the room limits per user (shared with the user's other connections there). */
  user?: TypeBuckets | undefined
  /** Its own buckets of the types the room limits per connection (made on the first such frame). */
  own?: TypeBuckets | undefined
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

  /** The buckets a frame of a type the room limits takes from: the user's, or this connection's own. */
  typeBuckets(membership: Membership, perUser: boolean): TypeBuckets {
    if (perUser && membership.user !== undefined) return membership.user
    if (membership.own === undefined) membership.own = new TypeBuckets('')
    return membership.own
  }

  /** Gives up its hold on its user's buckets in a room it left (once: a second call does nothing). */
  releaseBuckets(membership: Membership): void {
    const user = membership.user
    if (user === undefined) return
    membership.user = undefined
    this.core.userRateLimits.release(user)
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
      this.releaseBuckets(m)
      return m
    }
    const i = m.findIndex((x) => x.roomId === roomId)
    if (i < 0) return undefined
    const [removed] = m.splice(i, 1) as [Membership]
    if (m.length === 1) this.memberships = m[0]!
    else if (m.length === 0) this.memberships = null
    this.releaseBuckets(removed)
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
