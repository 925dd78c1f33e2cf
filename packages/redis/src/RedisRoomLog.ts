import {
  type LogListener,
  type LogPosition,
  type LogRead,
  type LogResetListener,
  newEpoch,
  type OutgoingFrame,
  type PublishOptions,
  type RoomLog,
  type SequencedFrame,
} from '@hubbub/rooms'
import { ReplyError } from 'ioredis'
import { decodeLogFrame, encodeLogFrame } from './LogFrameCodec.js'
import { RedisLogError } from './RedisLogError.js'
import {
  closeRedis,
  isCluster,
  openRedis,
  type RedisClient,
  type RedisConnectionTarget,
} from './redisConnection.js'
import {
  positionScript,
  publishBatchScript,
  publishFencedScript,
  publishScript,
  readScript,
} from './roomLogScripts.js'
import { shardedPublish } from './shardedPublish.js'

/**
 * Frames a node did not deliver and never will: it delivered `epoch` up to `after`, and goes on
 * with `nextOffset` in `nextEpoch`. In one epoch, offsets `after + 1` to `nextOffset - 1` are
 * lost (trimmed from the stream before this node could read them); when the epochs differ, the
 * room's data was lost in Redis and the rest of the old epoch with it.
 */
export interface RoomLogGap {
  roomId: string
  epoch: string
  after: number
  nextEpoch: string
  nextOffset: number
}

export interface RedisRoomLogOptions {
  /**
   * A `redis://` URL, ioredis options, a Cluster (`{ cluster: [nodes…] }`) or a ready ioredis
   * client to copy. On a Cluster the log publishes with `SPUBLISH` and subscribes with
   * `SSUBSCRIBE` (sharded pub/sub, Redis ≥ 7). Default `redis://127.0.0.1:6379`.
   */
  redis?: RedisConnectionTarget
  /**
   * Starts every key and channel of this log: a room's keys are `{<prefix>:<roomId>}:meta`,
   * `{<prefix>:<roomId>}:stream` and `{<prefix>:<roomId>}:sent:<key>` (publish keys, for the
   * resend window), its channel `{<prefix>:<roomId>}:log` (one Cluster slot per
   * room); `publishFenced` reads the room's fence counter `{<prefix>:<roomId>}:fence` in that slot
   * and records client frames in `{<prefix>:<roomId>}:published` and `:publishorder`.
   * Nodes that serve rooms together use the same prefix. Default `hubbub`.
   */
  prefix?: string
  /** Frames kept per room for `read` and recovery (the stream is trimmed near it). Default 100; 0 keeps none. */
  historySize?: number
  /**
   * How long a publish `key` is remembered, so a resent frame is not sequenced twice (see
   * `PublishOptions` in `@hubbub/rooms`), in ms. Default 60,000.
   */
  resendWindowMs?: number
  /**
   * At most this many frames of one room go to Redis in one script call: the publishes a node
   * makes in one turn of its event loop (a burst from a client) are sequenced together and
   * published as one message, which every node parses and delivers in one pass. 1 sends one
   * script call per publish, as each is made. Default 64.
   */
  maxPublishBatch?: number
  /** Frames this node could not deliver (see `RoomLogGap`); its members see them as an offset gap. */
  onGap?: (gap: RoomLogGap) => void
  /** Connection errors and listener throws; the log carries on. Default: ignored. */
  onError?: (err: unknown) => void
}

/** One frame as it arrives on a room's channel: `<epoch>\n<offset>\n<frame>` (see `LogFrameCodec`). */
interface Arrival {
  epoch: string
  offset: number
  payload: Uint8Array
}

/** A publish waiting for its room's next batch. */
interface PendingPublish {
  payload: Buffer
  key: string | undefined
  resolve: (position: LogPosition) => void
  reject: (err: unknown) => void
}

/** What the read script answers (as bytes): epoch, top, recovered (1/0) and XRANGE entries. */
type RawRead = [Buffer, number, number, [Buffer, Buffer[]][]]

/** A room this node has open: its listeners and how far it has delivered them. */
class OpenRoom {
  listeners: readonly LogListener[] = []
  epoch = ''
  /** The last offset delivered to the listeners (in `epoch`). */
  delivered = 0
  /** False until the subscription is in place and the starting position is known. */
  live = false
  /** True while the missing frames are read from the stream; arrivals wait in `buffer`. */
  catching = false
  buffer: Arrival[] = []
  closed = false
  /** The position read right after subscribing; the first opener answers it. */
  started!: Promise<LogPosition>
  constructor(
    readonly roomId: string,
    readonly channel: string,
  ) {}
}

/** `value` when it is a whole number >= `min`; otherwise an `INVALID_OPTIONS` error naming the option. */
function wholeNumber(name: string, value: number, min: number): number {
  if (Number.isInteger(value) && value >= min) return value
  throw new RedisLogError('INVALID_OPTIONS', `${name} must be a whole number >= ${min}, got ${value}`)
}

interface ScriptCommands {
  hubbubLogPublish(
    meta: string,
    stream: string,
    sent: string,
    ...args: (string | number | Buffer)[]
  ): Promise<[string, number]>
  hubbubLogPublishFenced(
    meta: string,
    stream: string,
    fence: string,
    published: string,
    publishOrder: string,
    ...args: (string | number | Buffer)[]
  ): Promise<[string, number] | 0>
  hubbubLogPublishBatch(
    numberOfKeys: number,
    ...args: (string | number | Buffer)[]
  ): Promise<[string, ...number[]]>
  hubbubLogPosition(meta: string, stream: string, epoch: string): Promise<[string, number]>
  hubbubLogReadBuffer(meta: string, stream: string, ...args: (string | number)[]): Promise<RawRead>
}

/**
 * A `RoomLog` in Redis, for several nodes serving the same rooms: one Lua script per publish
 * assigns the offset (HINCRBY), appends to the room's stream under that offset (XADD MAXLEN ~)
 * and publishes the frame, atomically. Every node, the publisher's included, delivers from its
 * own subscription, so all nodes deliver one order. A node keeps one command connection and one
 * subscriber connection, subscribed only to the rooms open on it.
 *
 * A node delivers each room's offsets one after the other: when an arrival skips some (its
 * subscription dropped and came back, say), it reads the missing ones from the stream first;
 * frames no longer there are reported to `onGap` and skipped, never silently. `publish` rejects
 * with a `RedisLogError` (`UNAVAILABLE`) when Redis cannot be reached: no frame is ever delivered
 * without an offset.
 */
export class RedisRoomLog implements RoomLog {
  /** Other nodes publish to the same rooms: only `shared` room behaviours may run on it. */
  readonly shared = true
  readonly prefix: string
  readonly historySize: number
  readonly resendWindowMs: number
  readonly maxPublishBatch: number
  readonly #redis: RedisClient & ScriptCommands
  readonly #sub: RedisClient
  /** On a Cluster: sharded pub/sub (`SPUBLISH` in the script, `SSUBSCRIBE` per room). */
  readonly #sharded: boolean
  readonly #rooms = new Map<string, OpenRoom>()
  readonly #byChannel = new Map<string, OpenRoom>()
  readonly #onGap: ((gap: RoomLogGap) => void) | undefined
  readonly #onError: (err: unknown) => void
  /** Epochs offered to the scripts for rooms that have none: unique per process and call. */
  readonly #epochBase = newEpoch()
  #epochs = 0
  #subReadyOnce = false
  #recheck: ReturnType<typeof setTimeout> | undefined
  #resetListeners: readonly LogResetListener[] = []
  /** Publishes of this turn, per room, in call order; sent on the next `setImmediate`. */
  #pending = new Map<string, PendingPublish[]>()
  #flushScheduled = false

  constructor(options: RedisRoomLogOptions = {}) {
    this.historySize = wholeNumber('historySize', options.historySize ?? 100, 0)
    this.resendWindowMs = wholeNumber('resendWindowMs', options.resendWindowMs ?? 60_000, 1)
    this.prefix = options.prefix ?? 'hubbub'
    this.maxPublishBatch = wholeNumber('maxPublishBatch', options.maxPublishBatch ?? 64, 1)
    this.#onGap = options.onGap
    this.#onError = options.onError ?? (() => {})
    const target = options.redis ?? 'redis://127.0.0.1:6379'
    // Auto-pipelining: the publish scripts of one event-loop turn (a burst from a client) go to
    // Redis in one write, so Redis runs them together and every node receives their PUBLISHes in
    // one read, which the transport then writes to each member in one send (uWS coalesces what a
    // turn publishes). Sent one by one, they arrived spread over turns: ~1.6 writes per member
    // per burst on two nodes instead of 1 (`BENCH_STRACE=1` in the Redis bench).
    const redis = openRedis(target, { connectionName: 'hubbub-log', enableAutoPipelining: true })
    this.#sharded = isCluster(redis)
    const publish = this.#sharded ? shardedPublish(publishScript) : publishScript
    redis.defineCommand('hubbubLogPublish', { numberOfKeys: 3, lua: publish })
    redis.defineCommand('hubbubLogPublishFenced', {
      numberOfKeys: 5,
      lua: this.#sharded ? shardedPublish(publishFencedScript) : publishFencedScript,
    })
    redis.defineCommand('hubbubLogPublishBatch', {
      lua: this.#sharded ? shardedPublish(publishBatchScript) : publishBatchScript,
    })
    redis.defineCommand('hubbubLogPosition', { numberOfKeys: 2, lua: positionScript })
    redis.defineCommand('hubbubLogRead', { numberOfKeys: 2, lua: readScript })
    this.#redis = redis as RedisClient & ScriptCommands
    this.#sub = openRedis(
      target,
      { connectionName: 'hubbub-log-sub', autoResubscribe: false },
      { shardedSubscribers: true },
      'queued',
    )
    redis.on('error', this.#onError)
    // The command connection came back: read what was missed while it was gone (arrivals that
    // came meanwhile could not be caught up), and find a lost room (a new epoch) without waiting
    // for the next publish.
    redis.once('ready', () => {
      redis.on('ready', () => {
        for (const room of this.#rooms.values()) if (room.live) void this.#catchUp(room)
      })
    })
    this.#sub.on('error', this.#onError)
    // As bytes: frames are msgpack (see `LogFrameCodec`).
    const onMessage = (channel: Buffer, message: Buffer) => this.#onMessage(channel.toString(), message)
    if (this.#sharded) {
      // ioredis keeps one subscriber per master and subscribes each slot's channels again after
      // a slot moved or a subscriber reconnected; frames published meanwhile are read from the
      // streams, now and once more after the resubscriptions have gone out.
      this.#sub.on('smessageBuffer', onMessage)
      this.#sub.on('subscribersReady', () => this.#afterResubscribe())
    } else {
      this.#sub.on('messageBuffer', onMessage)
      this.#sub.on('ready', () => {
        if (this.#subReadyOnce) void this.#resubscribe()
        this.#subReadyOnce = true
      })
    }
  }

  async open(roomId: string, listener: LogListener): Promise<LogPosition> {
    let room = this.#rooms.get(roomId)
    const first = room === undefined
    if (room === undefined) {
      room = new OpenRoom(roomId, this.#key(roomId, 'log'))
      this.#rooms.set(roomId, room)
      this.#byChannel.set(room.channel, room)
      room.started = this.#start(room)
    }
    if (!room.listeners.includes(listener)) room.listeners = [...room.listeners, listener]
    try {
      const started = await room.started
      if (first) return started
      try {
        return await this.#position(roomId)
      } catch (err) {
        // Open already (another listener, or a restarted room actor): what this node delivered.
        if (toLogError(err, '').code !== 'UNAVAILABLE' || !room.live) throw err
        return { epoch: room.epoch, offset: room.delivered }
      }
    } catch (err) {
      await this.close(roomId, listener)
      throw toLogError(err, `could not open room ${roomId}`)
    }
  }

  async publish(roomId: string, frame: OutgoingFrame, options?: PublishOptions): Promise<LogPosition> {
    const key = options?.key
    let payload: Buffer
    try {
      payload = encodeLogFrame(frame)
    } catch (err) {
      throw new TypeError(`room ${roomId}: ${(err as Error).message}`, { cause: err })
    }
    if (this.maxPublishBatch === 1) return this.#publishOne(roomId, payload, key)
    return new Promise((resolve, reject) => {
      let queue = this.#pending.get(roomId)
      if (queue === undefined) {
        queue = []
        this.#pending.set(roomId, queue)
      }
      queue.push({ payload, key, resolve, reject })
      if (!this.#flushScheduled) {
        this.#flushScheduled = true
        // The same turn as ioredis's auto-pipelining: a burst's publishes leave in one write.
        setImmediate(this.#flush)
      }
    })
  }

  async #publishOne(roomId: string, payload: Buffer, key: string | undefined): Promise<LogPosition> {
    try {
      const [epoch, offset] = await this.#redis.hubbubLogPublish(
        this.#key(roomId, 'meta'),
        this.#key(roomId, 'stream'),
        `${this.#key(roomId, 'sent')}:${key ?? ''}`,
        this.#nextEpoch(),
        this.#key(roomId, 'log'),
        payload,
        this.historySize,
        key === undefined ? 0 : 1,
        this.resendWindowMs,
      )
      return { epoch, offset }
    } catch (err) {
      throw toLogError(err, `could not publish to room ${roomId}`)
    }
  }

  /**
   * A publish by the owner of a room placed by `RedisRoomPlacement` on this log's prefix, holding
   * it with `fence`: one script compares `fence` with the room's fence counter
   * (`{<prefix>:<roomId>}:fence`, in the room's slot) and appends and publishes only when no newer
   * owner drew a higher one. Answers `'stale'` (nothing appended, nothing published) otherwise. Not
   * batched with `publish`: one script call per frame, sent at once.
   *
   * `from` names the client frame whose run publishes this (its answer key, see `RedisRoomPlacement`):
   * the same step records that it produced this offset, in `{<prefix>:<roomId>}:published` (a hash,
   * the room's last `from.keep` keys, ordered by `{<prefix>:<roomId>}:publishorder`; read with
   * `readPublishedFrames`). An owner that replays the offset knows the frame was applied.
   */
  async publishFenced(
    roomId: string,
    fence: number,
    frame: OutgoingFrame,
    from?: { key: string; keep: number },
  ): Promise<LogPosition | 'stale'> {
    let payload: Buffer
    try {
      payload = encodeLogFrame(frame)
    } catch (err) {
      throw new TypeError(`room ${roomId}: ${(err as Error).message}`, { cause: err })
    }
    let result: [string, number] | 0
    try {
      result = await this.#redis.hubbubLogPublishFenced(
        this.#key(roomId, 'meta'),
        this.#key(roomId, 'stream'),
        this.#key(roomId, 'fence'),
        ...publishedKeys(this.prefix, roomId),
        this.#nextEpoch(),
        this.#key(roomId, 'log'),
        payload,
        this.historySize,
        fence,
        from?.key ?? '',
        from?.keep ?? 0,
      )
    } catch (err) {
      throw toLogError(err, `could not publish to room ${roomId}`)
    }
    if (result === 0) return 'stale'
    return { epoch: result[0], offset: result[1] }
  }

  /** Sends every room's waiting publishes, `maxPublishBatch` frames per script call, in call order. */
  readonly #flush = (): void => {
    this.#flushScheduled = false
    const pending = this.#pending
    this.#pending = new Map()
    for (const [roomId, queue] of pending)
      for (let i = 0; i < queue.length; i += this.maxPublishBatch)
        this.#sendBatch(roomId, queue.slice(i, i + this.maxPublishBatch))
  }

  #sendBatch(roomId: string, batch: PendingPublish[]): void {
    if (batch.length === 1) {
      const only = batch[0]!
      this.#publishOne(roomId, only.payload, only.key).then(only.resolve, only.reject)
      return
    }
    const sent = this.#key(roomId, 'sent')
    const args: (string | number | Buffer)[] = [this.#key(roomId, 'meta'), this.#key(roomId, 'stream')]
    for (const p of batch) args.push(`${sent}:${p.key ?? ''}`)
    args.push(this.#nextEpoch(), this.#key(roomId, 'log'), this.historySize, this.resendWindowMs)
    for (const p of batch) args.push(p.key === undefined ? 0 : 1, p.payload)
    this.#redis.hubbubLogPublishBatch(2 + batch.length, ...args).then(
      ([epoch, ...offsets]) => {
        for (let i = 0; i < batch.length; i++) batch[i]!.resolve({ epoch, offset: offsets[i]! })
      },
      (err: unknown) => {
        const error = toLogError(err, `could not publish to room ${roomId}`)
        for (const p of batch) p.reject(error)
      },
    )
  }

  /**
   * Recent frames, or recovery after `since`, from the stream. While Redis is unreachable, a room
   * open on this node still answers, from what the node knows: no messages, the last position it
   * delivered as `top`, and `recovered` only when `since` is exactly that position (what comes
   * after it is delivered once Redis is back). So a member can join during an outage.
   */
  async read(roomId: string, options: { since?: LogPosition; limit: number }): Promise<LogRead> {
    try {
      return await this.#read(roomId, options)
    } catch (err) {
      const room = this.#rooms.get(roomId)
      if (!(err instanceof RedisLogError) || err.code !== 'UNAVAILABLE' || room?.live !== true) throw err
      const since = options.since
      const top = { epoch: room.epoch, offset: room.delivered }
      const exact = since === undefined || (since.epoch === top.epoch && since.offset === top.offset)
      return { messages: [], top, recovered: exact }
    }
  }

  async #read(roomId: string, options: { since?: LogPosition; limit: number }): Promise<LogRead> {
    const since = options.since
    const valid = since !== undefined && Number.isInteger(since.offset) && since.offset >= 0
    try {
      const [epoch, top, recovered, entries] = await this.#redis.hubbubLogReadBuffer(
        this.#key(roomId, 'meta'),
        this.#key(roomId, 'stream'),
        this.#nextEpoch(),
        valid ? since.offset : since === undefined ? '' : -1,
        since?.epoch ?? '',
        Math.max(1, Math.floor(options.limit)),
        this.historySize,
      )
      const messages = entries.map(toFrame)
      return { messages, top: { epoch: epoch.toString(), offset: top }, recovered: recovered === 1 }
    } catch (err) {
      throw toLogError(err, `could not read room ${roomId}`)
    }
  }

  async close(roomId: string, listener: LogListener): Promise<void> {
    const room = this.#rooms.get(roomId)
    if (room === undefined || !room.listeners.includes(listener)) return
    room.listeners = room.listeners.filter((l) => l !== listener)
    if (room.listeners.length > 0) return
    room.closed = true
    this.#rooms.delete(roomId)
    this.#byChannel.delete(room.channel)
    // Not connected: the subscription went with the connection, and only open rooms are subscribed again.
    if (this.#sub.status !== 'ready') return
    try {
      await (this.#sharded ? this.#sub.sunsubscribe(room.channel) : this.#sub.unsubscribe(room.channel))
    } catch (err) {
      this.#onError(err)
    }
  }

  /**
   * Calls `listener` when a room open on this node turns out to have lost its data (a new
   * epoch), before the new epoch's frames are delivered; answers a function that removes it.
   */
  onReset(listener: LogResetListener): () => void {
    this.#resetListeners = [...this.#resetListeners, listener]
    return () => {
      this.#resetListeners = this.#resetListeners.filter((l) => l !== listener)
    }
  }

  #reset(roomId: string, epoch: string): void {
    for (const listener of this.#resetListeners) {
      try {
        listener(roomId, epoch)
      } catch (err) {
        this.#onError(err)
      }
    }
  }

  /** Rooms open on this node. */
  get size(): number {
    return this.#rooms.size
  }

  /** Closes both connections; the log cannot be used afterwards. Shared data stays in Redis. */
  async disconnect(): Promise<void> {
    clearTimeout(this.#recheck)
    this.#rooms.clear()
    this.#byChannel.clear()
    await Promise.all([closeRedis(this.#redis), closeRedis(this.#sub)])
  }

  #key(roomId: string, kind: 'meta' | 'stream' | 'log' | 'sent' | 'fence'): string {
    return `{${this.prefix}:${roomId}}:${kind}`
  }

  #nextEpoch(): string {
    return `${this.#epochBase}${(++this.#epochs).toString(36)}`
  }

  async #position(roomId: string): Promise<LogPosition> {
    const [epoch, offset] = await this.#redis.hubbubLogPosition(
      this.#key(roomId, 'meta'),
      this.#key(roomId, 'stream'),
      this.#nextEpoch(),
    )
    return { epoch, offset }
  }

  /** Subscribes, then reads where the room stands: the listeners get every offset after it. */
  async #start(room: OpenRoom): Promise<LogPosition> {
    await (this.#sharded ? this.#sub.ssubscribe(room.channel) : this.#sub.subscribe(room.channel))
    const position = await this.#position(room.roomId)
    room.epoch = position.epoch
    room.delivered = position.offset
    room.live = true
    // Frames that arrived while the position was read: those after it, in order.
    if (room.buffer.length > 0) void this.#catchUp(room)
    return position
  }

  #onMessage(channel: string, message: Buffer): void {
    const room = this.#byChannel.get(channel)
    if (room === undefined) return
    const a = message.indexOf(NEWLINE)
    const b = message.indexOf(NEWLINE, a + 1)
    const offset = Number(message.toString('latin1', a + 1, b))
    if (a < 0 || b < 0 || !Number.isInteger(offset)) {
      this.#onError(new Error(`room ${room.roomId}: an unreadable frame arrived on ${channel}`))
      return
    }
    const epoch = message.toString('utf8', 0, a)
    if (message[b + 1] !== BATCH) {
      this.#arrive(room, { epoch, offset, payload: message.subarray(b + 1) })
      return
    }
    // A batch: `*<lengths>\n<frames>`, consecutive offsets from `offset`.
    const c = message.indexOf(NEWLINE, b + 1)
    const lengths = message.toString('latin1', b + 2, c < 0 ? b + 2 : c).split(',')
    let at = c + 1
    for (let i = 0; i < lengths.length; i++) {
      const length = Number(lengths[i])
      if (c < 0 || !Number.isInteger(length) || length < 0 || at + length > message.length) {
        this.#onError(new Error(`room ${room.roomId}: an unreadable batch arrived on ${channel}`))
        return
      }
      this.#arrive(room, { epoch, offset: offset + i, payload: message.subarray(at, at + length) })
      at += length
    }
  }

  #arrive(room: OpenRoom, arrival: Arrival): void {
    if (!room.live || room.catching) {
      room.buffer.push(arrival)
      return
    }
    if (arrival.epoch === room.epoch) {
      if (arrival.offset <= room.delivered) return
      if (arrival.offset === room.delivered + 1) {
        this.#deliver(room, arrival.offset, arrival.payload)
        return
      }
    }
    // Offsets were skipped, or the epoch changed: read what is missing first.
    room.buffer.push(arrival)
    void this.#catchUp(room)
  }

  #deliver(room: OpenRoom, offset: number, payload: Uint8Array): void {
    let frame: SequencedFrame
    try {
      frame = decodeLogFrame(payload)
    } catch (err) {
      this.#onError(new Error(`room ${room.roomId}: offset ${offset} holds no frame`, { cause: err }))
      room.delivered = offset
      return
    }
    frame.offset = offset
    room.delivered = offset
    const listeners = room.listeners
    for (let i = 0; i < listeners.length; i++) {
      try {
        listeners[i]!(room.roomId, frame)
      } catch (err) {
        this.#onError(err)
      }
    }
  }

  /**
   * Reads the frames after the last one delivered from the stream and delivers them, then the
   * arrivals that waited, until nothing is missing. What the stream no longer holds is reported
   * as a gap. On a Redis error it stops; the next arrival or reconnect tries again.
   */
  async #catchUp(room: OpenRoom): Promise<void> {
    if (room.catching || room.closed) return
    room.catching = true
    try {
      for (;;) {
        const read = await this.#read(room.roomId, {
          since: { epoch: room.epoch, offset: room.delivered },
          limit: Math.max(1, this.historySize),
        })
        if (room.closed) return
        if (!read.recovered) {
          // The room's data was lost: members are told before any frame of the new epoch reaches them.
          if (read.top.epoch !== room.epoch) this.#reset(room.roomId, read.top.epoch)
          const nextOffset = read.messages[0]?.offset ?? read.top.offset + 1
          this.#onGap?.({
            roomId: room.roomId,
            epoch: room.epoch,
            after: room.delivered,
            nextEpoch: read.top.epoch,
            nextOffset,
          })
          room.epoch = read.top.epoch
          room.delivered = nextOffset - 1
        }
        for (const frame of read.messages) {
          if (frame.offset !== room.delivered + 1) continue
          room.delivered = frame.offset
          for (const listener of room.listeners) {
            try {
              listener(room.roomId, frame)
            } catch (err) {
              this.#onError(err)
            }
          }
        }
        const waiting = room.buffer
        room.buffer = []
        let missing = false
        for (const arrival of waiting) {
          if (missing) room.buffer.push(arrival)
          else if (arrival.epoch !== room.epoch || arrival.offset > room.delivered + 1) {
            missing = true
            room.buffer.push(arrival)
          } else if (arrival.offset === room.delivered + 1) {
            this.#deliver(room, arrival.offset, arrival.payload)
          }
        }
        if (!missing) return
      }
    } catch (err) {
      this.#onError(err)
    } finally {
      room.catching = false
    }
  }

  /**
   * On a Cluster, after ioredis replaced or resubscribed its shard subscribers: every open room
   * reads what it missed now, and once more a moment later (the resubscriptions are sent after
   * this event); a frame that arrives past a hole reads it too.
   */
  #afterResubscribe(): void {
    const catchUpAll = () => {
      for (const room of this.#rooms.values()) if (room.live) void this.#catchUp(room)
    }
    catchUpAll()
    clearTimeout(this.#recheck)
    this.#recheck = setTimeout(catchUpAll, RECHECK_MS)
    this.#recheck.unref?.()
  }

  /** After the subscriber reconnected: subscribe the open rooms again, then read what was missed. */
  async #resubscribe(): Promise<void> {
    const channels = [...this.#byChannel.keys()]
    if (channels.length === 0) return
    try {
      await this.#sub.subscribe(...channels)
    } catch (err) {
      this.#onError(err)
      return
    }
    for (const room of this.#byChannel.values()) if (room.live) void this.#catchUp(room)
  }
}

/** How long after a Cluster resubscription the open rooms read the streams once more. */
const RECHECK_MS = 1000

/** The byte between an arrival's epoch, offset and frame. */
const NEWLINE = 0x0a
/** `*`: starts a batch's lengths where a single arrival has its frame (never a frame's first byte). */
const BATCH = 0x2a

function toFrame([id, fields]: [Buffer, Buffer[]]): SequencedFrame {
  const frame = decodeLogFrame(fields[1]!)
  frame.offset = Number.parseInt(id.toString(), 10)
  return frame
}

function toLogError(err: unknown, what: string): RedisLogError {
  if (err instanceof RedisLogError) return err
  if (err instanceof ReplyError)
    return new RedisLogError('REDIS_ERROR', `${what}: Redis answered an error`, { cause: err })
  return new RedisLogError('UNAVAILABLE', `${what}: Redis is unavailable`, { cause: err })
}

/** The keys where `publishFenced` records which client frame produced which offset (the room's slot). */
export function publishedKeys(prefix: string, roomId: string): [string, string] {
  return [`{${prefix}:${roomId}}:published`, `{${prefix}:${roomId}}:publishorder`]
}

/**
 * The client frames whose runs published to a room through `publishFenced`, oldest first, each with
 * the position of its last publish: `[key, { epoch, offset }]`.
 */
export async function readPublishedFrames(
  redis: RedisClient,
  prefix: string,
  roomId: string,
): Promise<[string, LogPosition][]> {
  const [published, order] = publishedKeys(prefix, roomId)
  const keys = await redis.lrange(order, 0, -1)
  if (keys.length === 0) return []
  const positions = await redis.hmget(published, ...keys)
  const out: [string, LogPosition][] = []
  keys.forEach((key, i) => {
    const position = positions[i]
    if (position === null || position === undefined) return
    const space = position.lastIndexOf(' ')
    out.push([key, { epoch: position.slice(0, space), offset: Number(position.slice(space + 1)) }])
  })
  return out
}
