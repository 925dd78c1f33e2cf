import type { OutgoingFrame } from './defineRoom.js'
import { newEpoch } from './newEpoch.js'
import { RoomError } from './RoomError.js'
import type { LogListener, LogPosition, LogRead, PublishOptions, RoomLog, SequencedFrame } from './RoomLog.js'

export interface MemoryRoomLogOptions {
  /** Frames kept per room (a ring buffer; older ones are dropped). Default 100; 0 keeps none. */
  size?: number
  /**
   * Keep a room's frames, epoch and offset when its last listener closes. Default false: the
   * room is forgotten, and opened next time with a new epoch at offset 0.
   */
  retain?: boolean
  /** How long a publish `key` is remembered (see `PublishOptions`), in ms. Default 60,000. */
  resendWindowMs?: number
}

const none: readonly LogListener[] = []

/** One room: its position, the ring of its last frames, and the listeners it delivers to. */
class Room {
  readonly epoch = newEpoch()
  /** The last assigned offset (0 before the first publish). */
  offset = 0
  readonly buf: (SequencedFrame | undefined)[]
  /** Index of the next write. */
  head = 0
  /** Frames held, at most `buf.length`. */
  length = 0
  /**
   * Replaced, never mutated (copy on open and close, which are rare), so `publish` loops over
   * the array without copying it and an open or close during a delivery cannot skip anyone.
   */
  listeners: readonly LogListener[] = none
  /** True while `publish` is calling this room's listeners. */
  delivering = false
  /**
   * Frames published from inside a listener, each followed by the listeners open when it was
   * published; delivered after the current frame so every listener still sees offset order.
   */
  queued: (SequencedFrame | readonly LogListener[])[] = []
  /** Publish keys seen in the resend window: offset and expiry, oldest first. Made on first use. */
  keys: Map<string, { offset: number; until: number }> | undefined

  constructor(size: number) {
    this.buf = new Array(size)
  }

  push(frame: SequencedFrame): void {
    const size = this.buf.length
    if (size === 0) return
    this.buf[this.head] = frame
    this.head = (this.head + 1) % size
    if (this.length < size) this.length++
  }

  /** The last `n` frames, oldest first. */
  last(n: number): SequencedFrame[] {
    const count = Math.max(0, Math.min(n, this.length))
    const size = this.buf.length
    const out: SequencedFrame[] = new Array(count)
    for (let i = 0; i < count; i++) out[i] = this.buf[(this.head - count + i + size) % size]!
    return out
  }
}

/**
 * In-memory `RoomLog` for one node: per room a counter, a ring of the last `size` frames and the
 * open listeners. Synchronous throughout; `publish` is O(listeners) and allocates only the stored
 * frame (`{ ...frame, offset }`) and the position it answers.
 *
 * Listeners are called inside `publish`, in offset order. A frame published from inside a
 * listener is sequenced at once but delivered after the current frame has reached every
 * listener. A listener that throws breaks the contract (it is the node's fan-out): the frame is
 * still stored and delivered to the other listeners, and then `publish` rethrows that error (an
 * `AggregateError` when several threw), so the bug is not silent; the log stays consistent.
 */
export class MemoryRoomLog implements RoomLog {
  readonly #size: number
  readonly #retain: boolean
  readonly #resendWindowMs: number
  readonly #rooms = new Map<string, Room>()

  constructor(options: MemoryRoomLogOptions = {}) {
    const size = options.size ?? 100
    if (!Number.isInteger(size) || size < 0) {
      throw new RoomError('invalid_options', `MemoryRoomLog size must be a whole number >= 0, got ${size}`)
    }
    this.#size = size
    this.#retain = options.retain ?? false
    const window = options.resendWindowMs ?? 60_000
    if (!(window >= 0)) {
      throw new RoomError('invalid_options', `MemoryRoomLog resendWindowMs must be >= 0, got ${window}`)
    }
    this.#resendWindowMs = window
  }

  open(roomId: string, listener: LogListener): LogPosition {
    const room = this.#room(roomId)
    // One registration per listener: opening twice does not deliver twice.
    if (!room.listeners.includes(listener)) room.listeners = [...room.listeners, listener]
    return { epoch: room.epoch, offset: room.offset }
  }

  publish(roomId: string, frame: OutgoingFrame, options?: PublishOptions): LogPosition {
    const room = this.#room(roomId)
    const key = options?.key
    if (key !== undefined) {
      const seen = this.#seen(room, key)
      if (seen !== undefined) return { epoch: room.epoch, offset: seen }
    }
    const stored: SequencedFrame = { ...frame, offset: ++room.offset }
    room.push(stored)
    if (key !== undefined) {
      room.keys ??= new Map()
      room.keys.set(key, { offset: stored.offset, until: Date.now() + this.#resendWindowMs })
    }
    const position = { epoch: room.epoch, offset: stored.offset }
    if (room.delivering) {
      room.queued.push(stored, room.listeners)
      return position
    }
    if (room.listeners.length === 0) return position
    room.delivering = true
    let errors: unknown[] | undefined
    try {
      errors = deliver(roomId, stored, room.listeners, errors)
      // Frames published by a listener meanwhile, in offset order (the queue may grow as we go).
      for (let i = 0; i < room.queued.length; i += 2) {
        const next = room.queued[i] as SequencedFrame
        const listeners = room.queued[i + 1] as readonly LogListener[]
        errors = deliver(roomId, next, listeners, errors)
      }
    } finally {
      room.queued.length = 0
      room.delivering = false
    }
    if (errors) throw errors.length === 1 ? errors[0] : new AggregateError(errors, 'RoomLog listeners threw')
    return position
  }

  read(roomId: string, options: { since?: LogPosition; limit: number }): LogRead {
    const room = this.#room(roomId)
    const top = { epoch: room.epoch, offset: room.offset }
    const since = options.since
    if (since === undefined) return { messages: room.last(options.limit), top, recovered: true }
    if (since.epoch === room.epoch && Number.isInteger(since.offset) && since.offset >= 0) {
      const missing = room.offset - since.offset
      // Offsets are consecutive in an epoch, so the ring holds them all iff it holds `missing`.
      if (missing >= 0 && missing <= room.length) {
        return { messages: room.last(missing), top, recovered: true }
      }
    }
    return { messages: room.last(options.limit), top, recovered: false }
  }

  close(roomId: string, listener: LogListener): void {
    const room = this.#rooms.get(roomId)
    if (!room) return
    const i = room.listeners.indexOf(listener)
    if (i === -1) return
    room.listeners = room.listeners.filter((l) => l !== listener)
    if (room.listeners.length === 0 && !this.#retain) this.#rooms.delete(roomId)
  }

  /** Rooms currently held (for tests and stats). */
  get size(): number {
    return this.#rooms.size
  }

  /** The offset a recent publish with `key` got, after forgetting the keys whose window ended. */
  #seen(room: Room, key: string): number | undefined {
    const keys = room.keys
    if (keys === undefined) return undefined
    const now = Date.now()
    // Oldest first, all with one window: the expired ones are at the front.
    for (const [k, v] of keys) {
      if (v.until > now) break
      keys.delete(k)
    }
    return keys.get(key)?.offset
  }

  #room(roomId: string): Room {
    let room = this.#rooms.get(roomId)
    if (!room) {
      room = new Room(this.#size)
      this.#rooms.set(roomId, room)
    }
    return room
  }
}

function deliver(
  roomId: string,
  frame: SequencedFrame,
  listeners: readonly LogListener[],
  errors: unknown[] | undefined,
): unknown[] | undefined {
  for (let i = 0; i < listeners.length; i++) {
    try {
      listeners[i]!(roomId, frame)
    } catch (err) {
      if (errors) errors.push(err)
      else errors = [err]
    }
  }
  return errors
}
