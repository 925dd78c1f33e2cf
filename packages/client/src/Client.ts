import type {
  ClientFrame,
  FrameCodec,
  InferClientFrame,
  InferServerFrame,
  PrivateMessageFrame,
  RoomListFrame,
  ServerFrame,
  WelcomeFrame,
} from '@hubbub/protocol'
import { CloseCode, isServerFrame, serverFrameTypes } from '@hubbub/protocol/light'
import { type BackoffOptions, backoffDelay, defaultBackoff } from './backoffDelay.js'
import { Emitter } from './Emitter.js'
import { HubbubError } from './HubbubError.js'
import { type OutgoingMessage, Room } from './Room.js'

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed'

/** The part of the WebSocket API the client uses: the browser's, Node 22's global, or `ws`'s. */
export interface WebSocketLike {
  readonly readyState: number
  binaryType?: string
  send(data: string | Uint8Array): void
  close(code?: number, reason?: string): void
  onmessage: ((event: { data: unknown }) => void) | null
  onclose: ((event: { code: number; reason: string }) => void) | null
  onerror: ((event: unknown) => void) | null
}
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => unknown

/**
 * A wire encoding other than JSON text: its subprotocol, and how a frame becomes one WebSocket
 * message and back. `@hubbub/client/msgpack` has the msgpack one, in its own entry point so that
 * JSON-only apps do not ship the encoder.
 */
export interface WireFormat {
  readonly protocol: string
  encode(frame: object): string | Uint8Array
  /** Reads one binary message (an ArrayBuffer, or a Uint8Array on Node's `ws`); throws on data it cannot read. */
  decode(data: unknown): unknown
}

/** Any codec from `@hubbub/protocol`: the built-in `protocol` or the result of `defineMessages`. */
export type AnyCodec = FrameCodec<{ type: string }, { type: string }>
/** An app's own client frames (those `defineMessages` added), e.g. `{ type: 'move', cell: 4 }`. */
export type CustomClientFrameOf<M> = Exclude<InferClientFrame<M>, { type: ClientFrame['type'] }>
/** An app's own server frames, e.g. `{ type: 'state', board: [...] }`. */
export type CustomServerFrameOf<M> = Exclude<InferServerFrame<M>, { type: ServerFrame['type'] }>

export interface ConnectOptions<M extends AnyCodec = AnyCodec> {
  /** Sent as the `hubbub.token.<jwt>` subprotocol (browsers cannot set headers). A function is asked again on every reconnect. */
  token?: string | (() => string | Promise<string>)
  /** Subprotocols to offer. Default `['hubbub.v1.json']`, or the `wire`'s protocol. */
  protocols?: string[]
  /** Speak another encoding than JSON (binary frames), e.g. `msgpackWire` from `@hubbub/client/msgpack`. */
  wire?: WireFormat
  /** The WebSocket class when there is no global one (Node 20): `import WebSocket from 'ws'`. */
  WebSocket?: WebSocketConstructor
  /** Backoff between reconnect attempts, or `false` to never reconnect. */
  reconnect?: Partial<BackoffOptions> | false
  /** Sends waiting for a connection (or a rejoin) at most: `max`, default 100; beyond that they reject `QUEUE_FULL`. */
  queue?: { max?: number }
  /**
   * Overrides the server's `welcome.heartbeatMs` (0 turns liveness checks off); before the welcome,
   * 2 × this is the handshake timeout. Default 30 000.
   */
  heartbeatMs?: number
  /**
   * Outgoing frames per second and burst. Default 19/s, burst 36: a little under the server's default
   * limit (20/s, burst 40), which drops excess frames unanswered. Match a server with other limits.
   */
  rate?: { perSecond: number; burst: number }
  /**
   * Frames per second of app frame types whose room limits them itself (a behaviour's `rateLimits`, e.g.
   * `{ cursor: 30 }`): `send` of those skips the connection's rate and queue, with a burst of half a
   * second; over the rate only the newest frame of a type waits for the next slot (a cursor's latest
   * position), older ones are dropped.
   * Sent only while connected and in the room; dropped otherwise.
   */
  typeRates?: Record<string, number>
  /**
   * How many times a send answered `UNAVAILABLE` (the room's shared log is unreachable) is sent again,
   * with the same id and the reconnect backoff between tries, before it rejects. Default 5.
   */
  resendUnavailable?: number
  /** Least interval between two `typing: true` frames of one room. Default 3 000 ms. */
  typingThrottleMs?: number
  /** Replaces the light frame checks: returns a reason to refuse a parsed frame (see `@hubbub/client/validate`). */
  validate?: (value: unknown) => string | undefined
  /** The app's codec from `defineMessages`: types custom frames, and its `serverTypes` pass the light checks. */
  messages?: M
  /** The app's own server frame types, for the light checks when `messages` is not passed (e.g. `['state']`). */
  customTypes?: string[]
}

export interface ClientEvents<M extends AnyCodec> {
  state: ConnectionState
  connecting: undefined
  open: WelcomeFrame
  reconnecting: { attempt: number; delayMs: number; code: number; reason: string }
  /** A connection attempt ended before the server's `welcome` (`attempt`: failures in a row, from 1). */
  connect_failed: { attempt: number; code: number; reason: string }
  closed: { code: number; reason: string }
  /**
   * The server refused the credential (close 4401): when the connection opened (`message` is the reason
   * its `UNAUTHORIZED` error gave) or because the token expired during the session. The client stops
   * reconnecting; what was pending rejects `UNAUTHORIZED`. Connect again with a new token.
   */
  auth_failed: { code: number; reason: string; message: string }
  welcome: WelcomeFrame
  private: PrivateMessageFrame
  /** Server errors that answer no pending request, and frames refused by the checks (`INVALID_FRAME`). */
  error: HubbubError
  custom: CustomServerFrameOf<M>
  /** A room send changed state, in any room (also emitted by the room). */
  outgoing: OutgoingMessage
}

// A request's life: waiting for a connection (or its room's rejoin), on the wire, or on the wire when the link died.
const QUEUED = 0
const SENT = 1
const LIMBO = 2

/** @internal One client frame that waits for an answer or a connection. */
export interface Pending {
  frame: ClientFrame & { id?: string }
  room: string | undefined
  state: number
  /** Fire-and-forget frames leave the table once written. */
  fire?: boolean
  /** How many times it was sent again after `UNAVAILABLE`. */
  resent?: number
  /** For room messages: who the echo must come from, when known. */
  self?: string | undefined
  resolve(frame: any): void
  reject(error: HubbubError): void
}

const builtInTypes: ReadonlySet<string> = new Set(serverFrameTypes)

// Reads are safe to ask again after a reconnect; anything else in flight is either recovered or reported.
const retryable = new Set(['list_rooms', 'list_users', 'get_history'])

/**
 * A connection to a Hubbub server that survives link loss: it reconnects with backoff, rejoins its rooms
 * with `since`, delivers what was missed exactly once, and reports what could not be recovered as `gap`.
 */
export class Client<M extends AnyCodec = AnyCodec> extends Emitter<ClientEvents<M>> {
  state: ConnectionState = 'connecting'
  /** The `welcome` of the current (or last) connection. */
  welcome: WelcomeFrame | undefined
  /** Rooms joined or being joined, by id. */
  readonly rooms = new Map<string, Room<M>>()
  /** @internal */
  readonly _options: ConnectOptions<M>
  /** @internal A `ROOM_RESET` arrived; the `left` that follows it is that room's. */
  _reset = false
  #url: string
  #WebSocket: WebSocketConstructor
  #backoff: BackoffOptions
  #ws: WebSocketLike | undefined
  #ready = false
  #closed = false
  #attempt = 0
  #retry: ReturnType<typeof setTimeout> | undefined
  #tick: ReturnType<typeof setInterval> | undefined
  #heartbeatMs: number
  #lastIn = 0
  #lastOut = 0
  #rate: { perSecond: number; burst: number }
  #tokens = 0
  #tokensAt = 0
  #outbox: (string | Uint8Array)[] = []
  #drainTimer: ReturnType<typeof setTimeout> | undefined
  /**
   * Frame ids: 16 random base64 characters (96 bits), then a counter. Unique per user across
   * reconnects, so an owned room (`@hubbub/redis` placement) answers a resend from a new connection
   * once: ids of 16 or more characters are the user's idempotency key there.
   */
  #ids = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(12))))
  #seq = 0
  #pending = new Map<string, Pending>()
  #customTypes: ReadonlySet<string>
  /** Buckets of `typeRates` types: tokens, when they were counted, the newest frame waiting. */
  #typed = new Map<string, { t: number; at: number; next?: object | undefined }>()
  /** The message of the server's `UNAUTHORIZED` error, until the 4401 close that follows it. */
  #refusal: string | undefined
  /** Why the client closed for good, for calls made after that. */
  #closedError: HubbubError | undefined
  /** The current socket has had its `welcome`. */
  #welcomed = false
  /** @internal The previous connection's `resumeToken`: rejoins present it to keep their presence. */
  _resume: string | undefined
  /** @internal A room was joined on the current connection (so the server knows its name: its token is worth resuming). */
  _joinedHere = false
  #unwatch: (() => void) | undefined

  constructor(url: string, options: ConnectOptions<M> = {}) {
    super()
    const WebSocketClass = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
    if (!WebSocketClass) {
      throw new HubbubError(
        'INTERNAL',
        'no global WebSocket: pass options.WebSocket (e.g. from "ws") on Node 20',
      )
    }
    this.#url = url
    this.#WebSocket = WebSocketClass
    this._options = options
    this.#backoff = { ...defaultBackoff, ...(options.reconnect || {}) }
    this.#heartbeatMs = options.heartbeatMs ?? 30_000
    this.#rate = { perSecond: 19, burst: 36, ...options.rate }
    const { messages } = options
    this.#customTypes = new Set([
      ...(options.customTypes ?? []),
      ...(messages && 'serverTypes' in messages ? (messages.serverTypes as string[]) : []),
    ])
    this.#unwatch = watchPage(() => this.reconnectNow())
    void this.#open()
    // Announced a microtask later, so that listeners added right after connect() hear it.
    queueMicrotask(() => {
      if (this.state === 'connecting') this.#setState('connecting')
    })
  }

  /** Joins a room; resolves once joined and its recent history has arrived (`room.backlog`). */
  join(roomId: string, options: { username?: string } = {}): Promise<Room<M>> {
    const known = this.rooms.get(roomId)
    if (known) return known._joined
    if (this.#closed) return Promise.reject(this.#finalError())
    const room = new Room<M>(this, roomId, options.username)
    this.rooms.set(roomId, room)
    room._rejoin()
    return room._joined
  }

  /** Sends a direct message; resolves with the server's echo of it. Queued while disconnected. */
  private(to: string, text: string): Promise<PrivateMessageFrame> {
    return this._request({ type: 'private', to, text })
  }

  /** Every room with its member count. */
  async listRooms(): Promise<RoomListFrame['rooms']> {
    return ((await this._request({ type: 'list_rooms' })) as RoomListFrame).rooms
  }

  /**
   * Sends one of the app's own frames (from `defineMessages`); queued while disconnected. Returns the
   * frame's `id`: a server error about it carries it as `replyTo` (undefined for `typeRates` types).
   */
  send(frame: CustomClientFrameOf<M>): string | undefined {
    const roomId = (frame as { roomId?: unknown }).roomId
    const room = typeof roomId === 'string' && this.rooms.has(roomId) ? roomId : undefined
    const type = (frame as { type: string }).type
    const rate = this._options.typeRates?.[type]
    if (rate) {
      if (this._canSend(room)) this.#sendTyped(type, rate, frame)
      return
    }
    return this._enqueue(frame as unknown as ClientFrame, room, { fire: true, resolve() {}, reject() {} })
  }

  /** Sends one of the app's own frames and resolves with the server frame that carries its `replyTo`. */
  request<R = CustomServerFrameOf<M>>(frame: CustomClientFrameOf<M>): Promise<R> {
    return this._request(frame as unknown as ClientFrame)
  }

  /**
   * Reconnects at once when waiting to retry (a "retry now" button; also called on the browser's
   * `online` event and when the page becomes visible). Does nothing while connected or connecting.
   */
  reconnectNow(): void {
    if (this.#retry === undefined || this.#closed) return
    clearTimeout(this.#retry)
    this.#retry = undefined
    void this.#open()
  }

  /** Closes for good with 1000: no reconnect; whatever is pending rejects `CLOSED`. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#unwatch?.()
    clearTimeout(this.#retry)
    const ws = this.#ws
    try {
      ws?.close(1000)
    } catch {}
    this.#lost(1000, 'client closed')
  }

  /** @internal */
  _outgoing(out: OutgoingMessage): void {
    this.emit('outgoing', out)
  }

  /** @internal True when frames can go out now (for `room`: once that room is rejoined too). */
  _canSend(room?: string): boolean {
    return this.#ready && (room === undefined || this.rooms.get(room)?._ready === true)
  }

  /** @internal */
  _request(frame: ClientFrame, room?: string): Promise<any> {
    return new Promise((resolve, reject) => this._enqueue(frame, room, { resolve, reject }))
  }

  /** @internal Sends now, or queues (bounded) until the connection and the room are ready. */
  _enqueue(frame: ClientFrame, room: string | undefined, handlers: Partial<Pending>): string {
    const id = this.#ids + (++this.#seq).toString(36)
    const pending = { ...handlers, frame: { ...frame, id }, room, state: QUEUED } as Pending
    if (this.#closed) {
      pending.reject(this.#finalError())
      return id
    }
    if (!this._canSend(room)) {
      let waiting = 0
      for (const p of this.#pending.values()) if (p.state !== SENT) waiting++
      if (waiting >= (this._options.queue?.max ?? 100)) {
        pending.reject(new HubbubError('QUEUE_FULL', 'too many sends waiting for a connection'))
        return id
      }
    }
    this.#pending.set(id, pending)
    if (this._canSend(room)) this.#transmit(pending)
    return id
  }

  /** @internal A frame that is only worth sending now (typing): dropped when offline. */
  _fire(frame: ClientFrame): void {
    if (this.#ready) this.#write(frame)
  }

  /**
   * @internal Sends what waited for `room` (or, without one, for the connection). After a rejoin, sends
   * that were on the wire when the link died are sent again only when `exact` recovery proved the server
   * never sequenced them; otherwise their outcome is unknown and they reject `DISCONNECTED`.
   */
  _flush(room: string | undefined, exact = true): void {
    for (const p of this.#pending.values()) {
      if (p.room !== room || p.state === SENT) continue
      if (p.state === LIMBO && !exact) {
        this.#settle(p)
        p.reject(new HubbubError('DISCONNECTED', 'the link dropped before the server confirmed this send'))
      } else if (this._canSend(room)) this.#transmit(p)
    }
  }

  /** @internal Resolves the oldest unconfirmed send that this room message echoes (see README: send confirmation). */
  _confirm(message: { roomId: string; from: string; text: string }): void {
    for (const p of this.#pending.values()) {
      const f = p.frame
      if (
        (p.state !== QUEUED || p.resent !== undefined) &&
        f.type === 'message' &&
        f.roomId === message.roomId &&
        f.text === message.text &&
        (p.self === undefined || p.self === message.from)
      ) {
        this.#settle(p)
        p.resolve(message)
        return
      }
    }
  }

  /** @internal The room dropped us (it restarted): its sends on the wire are now as uncertain as after a link loss. */
  _suspend(room: string): void {
    for (const p of this.#pending.values()) {
      if (p.room === room && p.state === SENT && p.frame.type === 'message') p.state = LIMBO
    }
  }

  /** @internal Rejects everything still waiting for `room` (it was left or failed). */
  _drop(room: string, error: HubbubError): void {
    for (const p of this.#pending.values()) {
      if (p.room === room) {
        this.#settle(p)
        p.reject(error)
      }
    }
  }

  #finalError(): HubbubError {
    return this.#closedError ?? new HubbubError('CLOSED', 'the client is closed')
  }

  #settle(p: Pending): void {
    this.#pending.delete(p.frame.id!)
  }

  #transmit(p: Pending): void {
    p.state = SENT
    if (p.fire) this.#settle(p)
    this.#write(p.frame)
  }

  // Every frame goes out through a token bucket a little under the server's rate limit: the server drops
  // frames over its limit without answering them, which would leave their promises waiting forever.
  #write(frame: object): void {
    this.#outbox.push(this._options.wire ? this._options.wire.encode(frame) : JSON.stringify(frame))
    this.#drain()
  }

  // Half the server's burst and 95 % of its rate: timing jitter on the way must not push a frame over its limit.
  #sendTyped(type: string, perSecond: number, frame: object): void {
    const now = Date.now()
    const rate = perSecond * 0.95
    let b = this.#typed.get(type)
    if (!b) {
      b = { t: perSecond / 2, at: now }
      this.#typed.set(type, b)
    }
    b.t = Math.min(perSecond / 2, b.t + ((now - b.at) * rate) / 1000)
    b.at = now
    if (b.t >= 1 && !b.next) {
      b.t--
      this.#lastOut = now
      this.#ws!.send(this._options.wire ? this._options.wire.encode(frame) : JSON.stringify(frame))
      return
    }
    if (!b.next)
      setTimeout(
        () => {
          const next = b.next
          b.next = undefined
          if (next && this.#ready) this.#sendTyped(type, perSecond, next)
        },
        Math.ceil(((1 - b.t) * 1000) / rate),
      )
    b.next = frame
  }

  #drain(): void {
    const { perSecond, burst } = this.#rate
    const now = Date.now()
    this.#tokens = Math.min(burst, this.#tokens + ((now - this.#tokensAt) * perSecond) / 1000)
    this.#tokensAt = now
    while (this.#outbox.length > 0 && this.#tokens >= 1) {
      this.#tokens--
      this.#lastOut = now
      this.#ws!.send(this.#outbox.shift()!)
    }
    if (this.#outbox.length > 0 && this.#drainTimer === undefined) {
      this.#drainTimer = setTimeout(
        () => {
          this.#drainTimer = undefined
          this.#drain()
        },
        Math.ceil(((1 - this.#tokens) * 1000) / perSecond),
      )
    }
  }

  #setState(state: ConnectionState, detail?: unknown): void {
    this.state = state
    this.emit('state', state)
    this.emit(state, detail as never)
  }

  async #open(): Promise<void> {
    const { wire } = this._options
    let protocols = this._options.protocols ?? [wire ? wire.protocol : 'hubbub.v1.json']
    try {
      const token = this._options.token
      const value = typeof token === 'function' ? await token() : token
      if (this.#closed) return
      if (value) protocols = [...protocols, `hubbub.token.${value}`]
      const ws = new this.#WebSocket(this.#url, protocols) as WebSocketLike
      this.#ws = ws
      // Browsers default to Blob, which cannot be read synchronously.
      if (wire) ws.binaryType = 'arraybuffer'
      this.#welcomed = false
      ws.onmessage = (event) => this.#onData(event.data)
      ws.onclose = (event) => this.#lost(event.code, event.reason)
      ws.onerror = () => {} // a close event follows
    } catch (error) {
      this.emit('error', HubbubError.fromUnknown(error))
      return this.#lost(1006, 'could not connect')
    }
    this.#lastIn = this.#lastOut = this.#tokensAt = Date.now()
    // The server's bucket for a new connection starts full.
    this.#tokens = this.#rate.burst
    this.#startTick()
  }

  // One timer per connection: declares the link dead after 2 × heartbeat of silence, and pings when idle
  // so that the server sees us and we hear back (browsers cannot see WebSocket-level pings).
  #startTick(): void {
    clearInterval(this.#tick)
    const hb = this.#heartbeatMs
    if (!(hb > 0)) return // heartbeatMs 0: the server disabled heartbeats
    this.#tick = setInterval(() => {
      const now = Date.now()
      if (now - this.#lastIn >= 2 * hb) {
        const ws = this.#ws as (WebSocketLike & { terminate?: () => void }) | undefined
        try {
          ws?.terminate ? ws.terminate() : ws?.close(4000, 'heartbeat timeout')
        } catch {}
        this.#lost(1006, 'heartbeat timeout')
      } else if (this.#ready && (now - this.#lastIn >= hb || now - this.#lastOut >= hb)) {
        this.#write({ type: 'ping' })
      }
    }, hb / 2)
  }

  #onData(data: unknown): void {
    this.#lastIn = Date.now()
    const { wire } = this._options
    let value: unknown
    try {
      value = wire ? wire.decode(data) : JSON.parse(data as string)
    } catch {}
    // A frame of the other kind (text on msgpack, binary on JSON) is refused like a malformed one.
    const reason =
      (typeof data === 'string') === !!wire
        ? 'wrong frame kind'
        : (this._options.validate ?? this.#check)(value)
    if (reason) {
      this.emit('error', new HubbubError('INVALID_FRAME', reason))
      return
    }
    this.#onFrame(value as ServerFrame)
  }

  // The protocol's zod-free check, plus the fields of history messages that recovery relies on. A frame
  // of a type the protocol does not have is the app's own (e.g. from `broadcastWhere`): it passes as
  // `custom` whether or not `customTypes` names it.
  #check = (value: unknown): string | undefined => {
    if (isServerFrame(value, this.#customTypes)) {
      return value.type !== 'history' ||
        value.messages.every((m) => typeof m?.offset === 'number' && typeof m.text === 'string')
        ? undefined
        : 'refused by the light frame check: a history message lacks offset or text'
    }
    const type = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined
    if (typeof type !== 'string') return 'refused by the light frame check: not an object with a string type'
    if (!builtInTypes.has(type)) return undefined
    return `refused by the light frame check: a ${type} frame without its required fields`
  }

  #onFrame(frame: ServerFrame): void {
    const reply = frame.replyTo === undefined ? undefined : this.#pending.get(frame.replyTo)
    // A room message is never an answer: its fan-out copy carries no replyTo (sends match by echo).
    if (reply && frame.type !== 'message') {
      // A send that reached a room being restarted was refused, not lost: send it after the rejoin.
      if (
        frame.type === 'error' &&
        frame.code === 'NOT_IN_ROOM' &&
        reply.room &&
        this.rooms.get(reply.room)?._ready === false
      ) {
        reply.state = QUEUED
        return
      }
      // Not sequenced: sent again later with the same id, which the server sequences at most once.
      const n = (reply.resent ?? 0) + 1
      if (
        frame.type === 'error' &&
        frame.code === 'UNAVAILABLE' &&
        n <= (this._options.resendUnavailable ?? 5)
      ) {
        reply.resent = n
        reply.state = QUEUED
        setTimeout(
          () => {
            if (
              reply.state === QUEUED &&
              this.#pending.get(reply.frame.id!) === reply &&
              this._canSend(reply.room)
            )
              this.#transmit(reply)
          },
          backoffDelay(n - 1, this.#backoff),
        )
        return
      }
      this.#settle(reply)
      if (frame.type === 'error') reply.reject(new HubbubError(frame.code, frame.message))
      else reply.resolve(frame)
      // The echo of a private message is both the answer and a message of the conversation.
      if (frame.type === 'private') this.emit('private', frame)
      return
    }
    switch (frame.type) {
      case 'welcome':
        this.#onWelcome(frame)
        return
      case 'error':
        // Reported by `auth_failed` once the 4401 close that follows it arrives.
        if (frame.code === 'UNAUTHORIZED') this.#refusal = frame.message
        // The `left` right behind it names the room (see Room: it emits `reset` and rejoins).
        else if (frame.code === 'ROOM_RESET') this._reset = true
        else this.emit('error', new HubbubError(frame.code, frame.message, { replyTo: frame.replyTo }))
        return
      case 'private':
        this.emit('private', frame)
        return
    }
    const roomId = (frame as { roomId?: unknown }).roomId
    const room = typeof roomId === 'string' ? this.rooms.get(roomId) : undefined
    room?._onFrame(frame)
    if (frame.type === 'left') this._reset = false
    if (!isServerFrame(frame)) this.emit('custom', frame as never)
  }

  #onWelcome(welcome: WelcomeFrame): void {
    // Rejoins present the previous connection's token, so the server keeps our presence (its grace).
    // A connection that never got a join through has nothing to resume: keep the older token.
    if (this._joinedHere) this._resume = this.welcome?.resumeToken
    this._joinedHere = false
    this.welcome = welcome
    this.#welcomed = true
    this.#attempt = 0
    this.#ready = true
    if (this.#heartbeatMs !== (this._options.heartbeatMs ?? welcome.heartbeatMs)) {
      this.#heartbeatMs = this._options.heartbeatMs ?? welcome.heartbeatMs
      this.#startTick()
    }
    this.emit('welcome', welcome)
    this.#setState('open', welcome)
    for (const room of this.rooms.values()) room._rejoin()
    this._flush(undefined)
  }

  #lost(code: number, reason: string): void {
    if (this.state === 'closed') return
    const ws = this.#ws
    if (ws) {
      ws.onmessage = ws.onclose = null
      ws.onerror = () => {} // `ws` throws an 'error' event that has no listener (an aborted handshake)
    }
    this.#ws = undefined
    this.#ready = false
    // Frames still in the outbox never left: their requests are handled below like those on the wire.
    this.#outbox = []
    clearTimeout(this.#drainTimer)
    this.#drainTimer = undefined
    clearInterval(this.#tick)
    for (const room of this.rooms.values()) room._lost()
    for (const p of this.#pending.values()) {
      if (p.state !== SENT) continue
      if (p.frame.type === 'message') p.state = LIMBO
      else if (retryable.has(p.frame.type)) p.state = QUEUED
      else {
        this.#settle(p)
        p.reject(
          new HubbubError('DISCONNECTED', `the link dropped before the server answered ${p.frame.type}`),
        )
      }
    }
    const { reconnect } = this._options
    const refused = code === CloseCode.UNAUTHORIZED && !this.#closed
    if (!this.#welcomed && !refused && !this.#closed)
      this.emit('connect_failed', { attempt: this.#attempt + 1, code, reason })
    this.#welcomed = false
    if (this.#closed || code === 1000 || refused || reconnect === false) {
      this.#closed = true
      this.#unwatch?.()
      const message = this.#refusal ?? (reason || 'unauthorized')
      this.#refusal = undefined
      const closed = refused
        ? new HubbubError('UNAUTHORIZED', `the server refused the credential: ${message}`)
        : new HubbubError('CLOSED', `the connection closed (${code})`)
      this.#closedError = closed
      for (const p of this.#pending.values()) p.reject(closed)
      this.#pending.clear()
      for (const room of this.rooms.values()) room._fail(closed)
      if (refused) this.emit('auth_failed', { code, reason, message })
      this.#setState('closed', { code, reason })
      return
    }
    this.#refusal = undefined
    const delayMs = backoffDelay(this.#attempt++, this.#backoff)
    this.#setState('reconnecting', { attempt: this.#attempt, delayMs, code, reason })
    this.#retry = setTimeout(() => {
      this.#retry = undefined
      void this.#open()
    }, delayMs)
  }
}

/**
 * In a browser page, calls `wake` when the network comes back (`online`) and when the page becomes
 * visible again (timers of background tabs are throttled, so a pending retry may be far off).
 * Returns the unsubscribe; does nothing outside a page (Node, workers).
 */
function watchPage(wake: () => void): (() => void) | undefined {
  const page = globalThis as unknown as {
    addEventListener?: (type: string, listener: () => void) => void
    removeEventListener?: (type: string, listener: () => void) => void
    document?: {
      visibilityState?: string
      addEventListener(type: string, listener: () => void): void
      removeEventListener(type: string, listener: () => void): void
    }
  }
  const doc = page.document
  if (typeof page.addEventListener !== 'function' || !doc) return undefined
  const onVisible = (): void => {
    if (doc.visibilityState !== 'hidden') wake()
  }
  page.addEventListener('online', wake)
  doc.addEventListener('visibilitychange', onVisible)
  return () => {
    page.removeEventListener?.('online', wake)
    doc.removeEventListener('visibilitychange', onVisible)
  }
}

/** Connects to a Hubbub server (`ws(s)://host/ws`); the client reconnects on its own until `close()`. */
export function connect<M extends AnyCodec = AnyCodec>(
  url: string,
  options: ConnectOptions<M> = {},
): Client<M> {
  return new Client<M>(url, options)
}
