import type {
  HistoryFrame,
  JoinedFrame,
  JoinFrame,
  PresenceCountFrame,
  RoomMessageFrame,
  RoomResyncFrame,
  ServerFrame,
  UserJoinedFrame,
  UserLeftFrame,
  UserTypingFrame,
} from '@hubbub/protocol'
import { backoffDelay } from './backoffDelay.js'
import type { AnyCodec, Client, CustomServerFrameOf } from './Client.js'
import { Emitter } from './Emitter.js'
import { HubbubError } from './HubbubError.js'

/**
 * Messages that are gone for good. `from`–`to` (inclusive) are offsets in `epoch`; `to < from` means
 * none of the current epoch is missing but, with `reason: 'epoch'`, what followed `previous` is.
 * `expired`: the server no longer had them (outage longer than its history); `epoch`: the room's
 * history restarted (server restart); `dropped`: an offset jump in the live stream (the server's
 * `drop` backpressure policy).
 */
export interface GapEvent {
  roomId: string
  epoch: string
  from: number
  to: number
  reason: 'expired' | 'epoch' | 'dropped'
  recovered: false
  previous?: { epoch: string; offset: number }
}

/** A room message as the client delivers it: `recovered` marks one caught up after a reconnect. */
export type ReceivedMessage = RoomMessageFrame & { recovered?: true }

/**
 * One of this client's room messages on its way: `pending` until the server sequenced it, then
 * `sent` (with the server's copy, its `offset`) or `failed` (with the error: refused, or its fate unknown).
 */
export interface OutgoingMessage {
  /** A local id, unique within this page or process. */
  readonly id: string
  readonly roomId: string
  readonly text: string
  status: 'pending' | 'sent' | 'failed'
  message?: RoomMessageFrame
  error?: HubbubError
}

export interface RoomEvents<M extends AnyCodec> {
  /** Room messages at most once each, in rising offset order (recovered ones first); a jump is a `gap`. See the README's delivery rule. */
  message: ReceivedMessage
  /** One of this client's sends changed state (`room.pending` holds those still pending). */
  outgoing: OutgoingMessage
  user_joined: UserJoinedFrame
  user_left: UserLeftFrame
  typing: UserTypingFrame
  /** Every history frame that follows a rejoin (the initial one is `room.backlog`). */
  history: HistoryFrame
  gap: GapEvent
  /**
   * The server said `ROOM_RESET`: the room lost its data (e.g. Redis restarted without persistence) and
   * goes on in a new epoch. The client rejoins; the loss after `epoch`/`offset` follows as a `gap`.
   */
  reset: { roomId: string; epoch: string | undefined; offset: number }
  presence_count: PresenceCountFrame
  /** `room.users` changed. */
  users: readonly string[]
  /** The room could not be rejoined after a reconnect; it is gone from `client.rooms`. */
  error: HubbubError
  /**
   * The room moved to another node (an owned room whose owner died or lost its lease): the state
   * frames that follow replace what the app had. `fence` grows with every change of owner.
   */
  room_resync: RoomResyncEvent
  custom: CustomServerFrameOf<M>
}

/** The `room_resync` frame (`RoomResyncFrame` of `@hubbub/protocol`): the owned room `roomId` has a new owner, with lease fence `fence`. */
export type RoomResyncEvent = RoomResyncFrame

let localIds = 0

/** A joined room: send, listen, and see who is here; the client keeps it joined across reconnects. */
export class Room<M extends AnyCodec = AnyCodec> extends Emitter<RoomEvents<M>> {
  readonly id: string
  /** Members (at most the server's presence limit of names), kept current from presence events. */
  users: string[] = []
  /** Total members (beyond the presence limit only this is kept current, by `presence_count`). */
  count = 0
  /** The history epoch, and the offset of the last message delivered. */
  epoch: string | undefined
  offset = 0
  /** The room's recent messages when it was first joined, oldest first. */
  backlog: RoomMessageFrame[] = []
  /** This client's sends not yet sequenced by the server, oldest first. */
  pending: OutgoingMessage[] = []
  /** @internal */
  _ready = false
  /** @internal Settles with the first `joined`. */
  readonly _joined: Promise<Room<M>>
  #client: Client<M>
  #username: string | undefined
  #settle: { resolve(room: Room<M>): void; reject(error: HubbubError): void } | undefined
  #left = false
  // What the current (re)join waits for before messages flow: the initial history, or a recovery.
  #awaiting: 'initial' | 'recover' | 'hold' | undefined
  #buffer: RoomMessageFrame[] = []
  #initialTimer: ReturnType<typeof setTimeout> | undefined
  #joinedOffset = 0
  #previous: { epoch: string; offset: number } | undefined
  #exact = true
  #retries = 0
  #retryTimer: ReturnType<typeof setTimeout> | undefined
  #joining = false
  #retrySince = 0
  #typingOn = false
  #typingAt = 0
  /** Members missing from our last rejoin's `joined`, each until the server's presence grace passes. */
  #away = new Map<string, ReturnType<typeof setTimeout>>()

  /** @internal Use `client.join()`. */
  constructor(client: Client<M>, id: string, username: string | undefined) {
    super()
    this.#client = client
    this.id = id
    this.#username = username?.trim()
    this._joined = new Promise((resolve, reject) => {
      this.#settle = { resolve, reject }
    })
    // A join that fails is reported by the promise; this keeps an unobserved copy from being "unhandled".
    this._joined.catch(() => {})
  }

  /**
   * Publishes a message; resolves with the server's copy (its `offset` and `timestamp`) once the room
   * echoes it back. Queued while disconnected and sent once after the rejoin.
   */
  send(text: string): Promise<RoomMessageFrame> {
    const out: OutgoingMessage = { id: `${++localIds}`, roomId: this.id, text, status: 'pending' }
    this.pending.push(out)
    this.#outgoing(out)
    const settle = (message?: RoomMessageFrame, error?: HubbubError): void => {
      this.pending = this.pending.filter((p) => p !== out)
      out.status = message ? 'sent' : 'failed'
      if (message) out.message = message
      if (error) out.error = error
      this.#outgoing(out)
    }
    return new Promise((resolve, reject) => {
      if (this.#left) {
        const error = new HubbubError('NOT_IN_ROOM', `not in room ${this.id}`)
        settle(undefined, error)
        return reject(error)
      }
      this.#client._enqueue({ type: 'message', roomId: this.id, text }, this.id, {
        resolve(message: RoomMessageFrame) {
          settle(message)
          resolve(message)
        },
        reject(error: HubbubError) {
          settle(undefined, error)
          reject(error)
        },
        self: this.#username,
      })
    })
  }

  // Listeners get a snapshot: `room.pending` keeps the live entry.
  #outgoing(out: OutgoingMessage): void {
    const event = { ...out }
    this.emit('outgoing', event)
    this.#client._outgoing(event)
  }

  /** The room's last `limit` messages (1–100; server default 50), oldest first. */
  async history(limit?: number): Promise<RoomMessageFrame[]> {
    const frame = await this.#client._request(
      limit === undefined
        ? { type: 'get_history', roomId: this.id }
        : { type: 'get_history', roomId: this.id, limit },
      this.id,
    )
    return (frame as HistoryFrame).messages
  }

  /** Asks the server for the member list and replaces `users` and `count` with it. */
  async listUsers(): Promise<string[]> {
    const frame = await this.#client._request({ type: 'list_users', roomId: this.id }, this.id)
    this.#setUsers(frame.users)
    this.count = frame.count
    return this.users
  }

  /**
   * Typing indicator, throttled: `true` goes out at most once per `typingThrottleMs` while typing,
   * `false` once when typing stops. Dropped while disconnected (it would be stale).
   */
  typing(isTyping: boolean): void {
    const now = Date.now()
    if (
      isTyping === this.#typingOn &&
      (!isTyping || now - this.#typingAt < (this.#client._options.typingThrottleMs ?? 3000))
    ) {
      return
    }
    if (!this._ready) return
    this.#typingOn = isTyping
    this.#typingAt = now
    this.#client._fire({ type: 'typing', roomId: this.id, isTyping })
  }

  /** Leaves the room; sends still waiting for it reject `NOT_IN_ROOM`. Never rejects itself. */
  async leave(): Promise<void> {
    if (this.#left) return
    this.#left = true
    // The room stays routed until `left`, so echoes of sends made before leaving still confirm them.
    if (this.#client._canSend(this.id))
      await this.#client._request({ type: 'leave', roomId: this.id }).catch(() => {})
    this._fail(new HubbubError('NOT_IN_ROOM', `left room ${this.id}`))
  }

  /** @internal Sends `join` (with `since` once the room has an epoch) when the client is connected. */
  _rejoin(): void {
    // One join on the wire at a time: a username retry and a reconnect must not both send one.
    if (this.#left || this.#joining || !this.#client._canSend()) return
    this.#joining = true
    const frame: JoinFrame = { type: 'join', roomId: this.id }
    if (this.#username !== undefined) frame.username = this.#username
    if (this.epoch !== undefined) frame.since = { offset: this.offset, epoch: this.epoch }
    const resume = this.#client._resume
    if (resume !== undefined) frame.resume = resume
    this.#client._enqueue(frame, undefined, {
      resolve: (joined: JoinedFrame) => {
        this.#joining = false
        this.#onJoined(joined)
      },
      reject: (error: HubbubError) => {
        this.#joining = false
        this.#buffer = []
        this.#onJoinError(error)
      },
    })
  }

  /** @internal The link dropped: wait for the next rejoin. */
  _lost(): void {
    clearTimeout(this.#initialTimer)
    clearTimeout(this.#retryTimer)
    this.#awaiting = undefined
    // Frames held for the lost link may belong to an epoch the rejoin replaces: the rejoin recovers them.
    this.#buffer = []
    this._ready = false
    this.#typingOn = false
  }

  /** @internal The room is gone (left, closed, or its rejoin failed). */
  _fail(error: HubbubError): void {
    clearTimeout(this.#retryTimer)
    for (const timer of this.#away.values()) clearTimeout(timer)
    this.#away.clear()
    this.#left = true
    this._ready = false
    this.#client.rooms.delete(this.id)
    this.#client._drop(this.id, error)
    this.#settle?.reject(error)
    this.#settle = undefined
  }

  /** @internal A server frame about this room (replies excepted). */
  _onFrame(frame: ServerFrame): void {
    // The server sends a join's history before any other frame of the room: if another comes first, none is coming.
    if (this.#awaiting === 'initial' && frame.type !== 'history') this.#endInitialWait()
    switch (frame.type) {
      case 'message':
        this.#deliver(frame)
        return
      case 'history':
        this.#onHistory(frame)
        return
      case 'presence_diff':
        // One window of the room's presence, as the app's usual events. Our `joined` may already
        // reflect it: a listed user who joins, or an unlisted one who leaves, changes nothing.
        this.count = frame.count
        for (const username of frame.leaves) this.#went(username, true)
        for (const username of frame.joins) this.#came(username, true)
        return
      case 'user_joined':
        this.count++
        this.#came(frame.username)
        return
      case 'user_left':
        this.count = Math.max(0, this.count - 1)
        this.#went(frame.username)
        return
      case 'presence_count':
        this.count = frame.count
        this.emit('presence_count', frame)
        return
      case 'typing':
        this.emit('typing', frame)
        return
      case 'left':
        // Not asked for: the room restarted (it crashed) and dropped its members, or (after `ROOM_RESET`)
        // its shared log lost its data. Rejoin with since: in a new epoch that reports the loss as a `gap`.
        if (this.#client._reset) {
          this.#client._reset = false
          this.emit('reset', { roomId: this.id, epoch: this.epoch, offset: this.offset })
        }
        if (!this.#left) {
          this._lost()
          this.#client._suspend(this.id)
          this._rejoin()
        }
        return
      case 'room_resync':
        this.emit('room_resync', frame)
        return
      default:
        if (frame.type !== 'joined') this.emit('custom', frame as never)
    }
  }

  #came(username: string, diff?: boolean): void {
    // Back within the grace: it never left as far as the app knows.
    if (this.#back(username)) return
    if (!this.users.includes(username)) this.#setUsers([...this.users, username])
    else if (diff) return
    this.emit('user_joined', { type: 'user_joined', roomId: this.id, username })
  }

  #went(username: string, diff?: boolean): void {
    this.#back(username)
    if (this.users.includes(username)) this.#setUsers(this.users.filter((u) => u !== username))
    else if (diff) return
    this.emit('user_left', { type: 'user_left', roomId: this.id, username })
  }

  /** A member missing after our rejoin is still missing once the grace passed: now it left. */
  #gone(username: string): void {
    this.#went(username)
  }

  /** Whether `username` was missing after our rejoin (it is no longer). */
  #back(username: string): boolean {
    const timer = this.#away.get(username)
    clearTimeout(timer)
    return this.#away.delete(username)
  }

  #setUsers(users: string[]): void {
    this.users = users
    this.emit('users', users)
  }

  #onJoined(joined: JoinedFrame): void {
    // Left while this (re)join was on the wire: the server has us in the room again, so leave it.
    if (this.#left) {
      this.#client._fire({ type: 'leave', roomId: this.id })
      return
    }
    this.#client._joinedHere = true
    const before = this.epoch === undefined ? undefined : this.users
    const users = [...joined.users]
    const came: string[] = []
    const went: string[] = []
    // After a reconnect, tell the app who came and went while it was away. Those missing may be
    // reconnecting themselves (after a server restart everyone is): they count as gone only if
    // still missing once the server's presence grace has passed.
    if (before) {
      const graceMs = this.#client.welcome?.presenceGraceMs ?? 0
      for (const username of joined.users) {
        if (!this.#back(username) && !before.includes(username)) came.push(username)
      }
      for (const username of before) {
        if (joined.users.includes(username)) continue
        if (!(graceMs > 0)) went.push(username)
        else {
          users.push(username)
          if (!this.#away.has(username))
            this.#away.set(
              username,
              setTimeout(() => this.#gone(username), graceMs),
            )
        }
      }
    }
    this.count = joined.count
    this.#setUsers(users)
    for (const username of came) this.emit('user_joined', { type: 'user_joined', roomId: this.id, username })
    for (const username of went) this.#gone(username)
    this.#retries = 0
    this.#joinedOffset = joined.offset
    if (this.epoch === undefined) {
      this.offset = joined.offset
      this.#awaiting = joined.offset > 0 ? 'initial' : undefined
    } else if (joined.epoch !== this.epoch) {
      this.#previous = { epoch: this.epoch, offset: this.offset }
      this.offset = 0
      this.#awaiting = joined.offset > 0 ? 'recover' : undefined
      if (!this.#awaiting) this.#gap(joined.epoch, 1, 0, 'epoch')
    } else {
      this.#awaiting = joined.offset > this.offset ? 'recover' : undefined
    }
    this.epoch = joined.epoch
    if (!this.#awaiting) this.#onReady()
    // A server configured to send no history on join (or with an empty store) stays silent: do not wait forever.
    else if (this.#awaiting === 'initial') this.#initialTimer = setTimeout(() => this.#endInitialWait(), 2000)
  }

  #endInitialWait(): void {
    clearTimeout(this.#initialTimer)
    if (this.#awaiting !== 'initial') return
    this.#awaiting = undefined
    this.#onReady()
  }

  #onJoinError(error: HubbubError): void {
    if (this.#left || error.code === 'DISCONNECTED') return // rejoined on the next welcome
    // After a reconnect the server may not yet have noticed our old, dead connection holding the name.
    if (error.code === 'USERNAME_TAKEN' && this.epoch !== undefined) {
      const hb = this.#client.welcome?.heartbeatMs || 30_000
      if (this.#retries === 0) this.#retrySince = Date.now()
      if (Date.now() - this.#retrySince < 3 * hb) {
        this.#retryTimer = setTimeout(
          () => this._rejoin(),
          backoffDelay(this.#retries++, { minMs: 250, maxMs: hb, factor: 2, jitter: 0.5 }),
        )
        return
      }
    }
    if (this.epoch !== undefined) this.emit('error', error)
    this._fail(error)
  }

  #onHistory(history: HistoryFrame): void {
    clearTimeout(this.#initialTimer)
    const awaited = this.#awaiting === 'hold' ? undefined : this.#awaiting
    if (awaited) this.#awaiting = undefined
    const messages = [...history.messages].sort((a, b) => a.offset - b.offset)
    if (awaited === 'initial') {
      this.backlog = messages
    } else {
      const previous = this.#previous
      if (history.recovered === false || previous) {
        // Everything between what we saw and the oldest message still available is lost.
        const first = messages.find((m) => m.offset > this.offset)
        const to = (first ? first.offset : this.#joinedOffset + 1) - 1
        if (previous || to > this.offset)
          this.#gap(this.epoch!, this.offset + 1, to, previous ? 'epoch' : 'expired')
        this.offset = Math.max(this.offset, to)
      }
      for (const message of messages) {
        if (history.recovered) (message as ReceivedMessage).recovered = true
        this.#deliver(message)
      }
      this.emit('history', history)
    }
    if (awaited) this.#onReady()
  }

  #gap(epoch: string, from: number, to: number, reason: GapEvent['reason']): void {
    const gap: GapEvent = { roomId: this.id, epoch, from, to, reason, recovered: false }
    if (reason === 'epoch' && this.#previous) gap.previous = this.#previous
    this.#previous = undefined
    if (reason !== 'dropped') this.#exact = false
    this.emit('gap', gap)
  }

  // The one place messages reach the app. Live frames are taken in arrival order, never sorted: a frame
  // at or below the last delivered offset is dropped (a duplicate or an older one), a jump is a gap.
  #deliver(message: RoomMessageFrame): void {
    if (message.offset <= this.offset) return
    // Held while the join is on the wire too: the server subscribes a joiner before it reads the
    // room's log, so with an asynchronous store a live frame may come before `joined`.
    if (this.#awaiting || this.#joining) {
      this.#buffer.push(message)
      return
    }
    if (message.offset > this.offset + 1)
      this.#gap(this.epoch!, this.offset + 1, message.offset - 1, 'dropped')
    this.offset = message.offset
    this.#client._confirm(message)
    this.emit('message', message)
  }

  #onReady(): void {
    this._ready = true
    this.#client._flush(this.id, this.#exact)
    this.#exact = true
    const first = this.#settle
    this.#settle = undefined
    if (!first) {
      this.#release()
      return
    }
    // Messages that came with the join wait one macrotask, so that the caller of join() can subscribe first.
    this.#awaiting = 'hold'
    first.resolve(this)
    setTimeout(() => {
      if (this.#awaiting !== 'hold') return
      this.#awaiting = undefined
      this.#release()
    })
  }

  // Held frames go out in the order they arrived, as they would have without the hold: what the app
  // sees must not depend on whether TCP delivered a frame before or after the hold ended.
  #release(): void {
    const buffered = this.#buffer
    this.#buffer = []
    for (const message of buffered) this.#deliver(message)
  }
}
