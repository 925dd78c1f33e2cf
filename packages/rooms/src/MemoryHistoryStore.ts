import { randomBytes } from 'node:crypto'
import type { HistoryPosition, HistoryStore, Recovery, StoredMessage } from './HistoryStore.js'

/** A new epoch: random, short, URL-safe. */
export function newEpoch(): string {
  return randomBytes(9).toString('base64url')
}

export interface MemoryHistoryStoreOptions {
  /** Messages kept per room (ring buffer). Default 100. */
  size?: number
  /** Keep a room's history after it was closed normally (empty room stopped). Default false. */
  retainOnClose?: boolean
}

/** A fixed-size ring of the last messages of one room. */
class Ring {
  readonly buf: (StoredMessage | undefined)[]
  /** Index of the next write. */
  head = 0
  length = 0
  epoch: string
  offset = 0

  constructor(size: number, epoch: string) {
    this.buf = new Array(size)
    this.epoch = epoch
  }

  push(message: StoredMessage): void {
    const size = this.buf.length
    if (size === 0) return
    this.buf[this.head] = message
    this.head = (this.head + 1) % size
    if (this.length < size) this.length++
  }

  /** The last `n` messages, oldest first. */
  last(n: number): StoredMessage[] {
    const count = Math.min(n, this.length)
    const size = this.buf.length
    const out: StoredMessage[] = new Array(count)
    for (let i = 0; i < count; i++) out[i] = this.buf[(this.head - count + i + size) % size]!
    return out
  }
}

/** In-memory `HistoryStore`: one ring buffer per room, synchronous throughout. */
export class MemoryHistoryStore implements HistoryStore {
  readonly #size: number
  readonly #retain: boolean
  readonly #rooms = new Map<string, Ring>()

  constructor(options: MemoryHistoryStoreOptions = {}) {
    this.#size = Math.max(0, options.size ?? 100)
    this.#retain = options.retainOnClose ?? false
  }

  open(roomId: string, options: { fresh: boolean }): HistoryPosition {
    let ring = this.#rooms.get(roomId)
    if (!ring || options.fresh) {
      ring = new Ring(this.#size, newEpoch())
      this.#rooms.set(roomId, ring)
    }
    return { epoch: ring.epoch, offset: ring.offset }
  }

  append(roomId: string, message: StoredMessage): void {
    let ring = this.#rooms.get(roomId)
    if (!ring) {
      ring = new Ring(this.#size, newEpoch())
      this.#rooms.set(roomId, ring)
    }
    ring.offset = message.offset
    ring.push(message)
  }

  recent(roomId: string, limit: number): StoredMessage[] {
    return this.#rooms.get(roomId)?.last(limit) ?? []
  }

  since(roomId: string, position: HistoryPosition): Recovery {
    const ring = this.#rooms.get(roomId)
    if (!ring || ring.epoch !== position.epoch || position.offset > ring.offset || position.offset < 0) {
      return { recovered: false }
    }
    const missing = ring.offset - position.offset
    if (missing === 0) return { recovered: true, messages: [] }
    if (missing > ring.length) return { recovered: false }
    const messages = ring.last(missing)
    // Offsets are consecutive within an epoch; anything else means a hole we cannot fill.
    if (messages[0]?.offset !== position.offset + 1) return { recovered: false }
    return { recovered: true, messages }
  }

  close(roomId: string): void {
    if (!this.#retain) this.#rooms.delete(roomId)
  }

  /** Rooms currently held (for tests and stats). */
  get size(): number {
    return this.#rooms.size
  }
}
