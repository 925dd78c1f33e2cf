import { mkdirSync } from 'node:fs'
import type {
  LogListener,
  LogPosition,
  LogRead,
  OutgoingFrame,
  PublishOptions,
  RoomLog,
  SequencedFrame,
} from '@hubbub/rooms'
import { DirectoryLock } from './DirectoryLock.js'
import { LogRoom, type Pending } from './LogRoom.js'
import { checkCommon, type FileStoreCommon, type FsyncMode } from './options.js'
import { encodeRecord } from './records.js'
import { StoreError } from './StoreError.js'

export interface FileRoomLogOptions extends FileStoreCommon {
  /** Frames kept per room for `read` and recovery. Default 1,000; 0 keeps none. A room's file holds up to twice this before it is compacted. */
  historySize?: number
  /**
   * How long a publish `key` is remembered (see `PublishOptions` of `@hubbub/rooms`): a resend with
   * the same key within it answers the first publish's position instead of being sequenced again.
   * Kept in memory, so a resend that crosses a restart is sequenced again. Default 60,000 ms.
   */
  resendWindowMs?: number
}

const ignore = () => {}

/**
 * A `RoomLog` on disk for one node: one append-only file per room, so a restarted server keeps
 * each room's epoch, offsets and last `historySize` frames, and its clients recover across the
 * restart. Publishes of a room are written in order, several in one write when they queue up;
 * a frame is delivered to the listeners and its publish answered only once it is written (and
 * synced, with `fsync: 'always'`), so nothing is served that a crash could take back.
 */
export class FileRoomLog implements RoomLog {
  readonly #dir: string
  readonly #keep: number
  readonly #historySize: number
  readonly #fsync: FsyncMode
  readonly #onError: (err: StoreError) => void
  readonly #lock: DirectoryLock | undefined
  readonly #resendWindowMs: number
  readonly #timer: ReturnType<typeof setInterval> | undefined
  readonly #ready = new Map<string, LogRoom>()
  readonly #loading = new Map<string, Promise<LogRoom>>()
  readonly #unloading = new Map<string, Promise<void>>()
  /**
   * Rooms whose write failed, with their listeners: reopened with a new epoch (their file may
   * hold frames whose publish failed), the listeners carried over.
   */
  readonly #lost = new Map<string, readonly LogListener[]>()
  #closed: Promise<void> | undefined

  constructor(options: FileRoomLogOptions) {
    const { fsync, fsyncIntervalMs } = checkCommon(options)
    const historySize = options.historySize ?? 1000
    if (!Number.isInteger(historySize) || historySize < 0) {
      throw new StoreError('invalid_options', `historySize must be a whole number >= 0, got ${historySize}`)
    }
    const resendWindowMs = options.resendWindowMs ?? 60_000
    if (!Number.isFinite(resendWindowMs) || resendWindowMs < 0) {
      throw new StoreError('invalid_options', `resendWindowMs must be >= 0, got ${resendWindowMs}`)
    }
    this.#resendWindowMs = resendWindowMs
    this.#dir = options.dir
    this.#historySize = historySize
    // The file always keeps the last frame, so a room's top offset survives a crash even at size 0.
    this.#keep = Math.max(historySize, 1)
    this.#fsync = fsync
    this.#onError = options.onError ?? ignore
    this.#lock = options.lock === false ? undefined : DirectoryLock.acquire(options.dir)
    mkdirSync(options.dir, { recursive: true })
    if (fsync === 'interval') {
      this.#timer = setInterval(() => this.#syncDirty(), fsyncIntervalMs)
      this.#timer.unref()
    }
  }

  async open(roomId: string, listener: LogListener): Promise<LogPosition> {
    const room = await this.#room(roomId)
    if (!room.listeners.includes(listener)) room.listeners = [...room.listeners, listener]
    return { epoch: room.epoch, offset: room.top }
  }

  publish(roomId: string, frame: OutgoingFrame, options?: PublishOptions): Promise<LogPosition> {
    const key = options?.key
    const ready = this.#ready.get(roomId)
    // A loaded room is sequenced now, in call order; otherwise once it is loaded.
    if (ready && !this.#closed) return this.#publishOnce(ready, frame, key)
    return this.#room(roomId).then((room) => this.#publishOnce(room, frame, key))
  }

  /** Sequences the frame, unless a publish with the same `key` did within the resend window. */
  #publishOnce(room: LogRoom, frame: OutgoingFrame, key: string | undefined): Promise<LogPosition> {
    if (key === undefined) return this.#enqueue(room, frame)
    const now = Date.now()
    const keys = room.keys
    // Oldest first: forget the keys whose window ended.
    for (const [k, seen] of keys) {
      if (seen.until > now) break
      keys.delete(k)
    }
    const seen = keys.get(key)
    if (seen) return seen.position
    const position = this.#enqueue(room, frame)
    keys.set(key, { position, until: now + this.#resendWindowMs })
    // A publish that failed was not sequenced: its resend must be.
    position.catch(() => {
      if (keys.get(key)?.position === position) keys.delete(key)
    })
    return position
  }

  async read(roomId: string, options: { since?: LogPosition; limit: number }): Promise<LogRead> {
    const room = await this.#room(roomId)
    const top = { epoch: room.epoch, offset: room.top }
    const since = options.since
    const size = this.#historySize
    if (since === undefined) return { messages: room.last(options.limit, size), top, recovered: true }
    if (since.epoch === room.epoch && Number.isInteger(since.offset) && since.offset >= 0) {
      const missing = room.top - since.offset
      // Offsets are consecutive in an epoch, so the ring holds them all iff it holds `missing`.
      if (missing >= 0 && missing <= Math.min(size, room.ring.length)) {
        return { messages: room.last(missing, size), top, recovered: true }
      }
    }
    return { messages: room.last(options.limit, size), top, recovered: false }
  }

  /**
   * Removes the listener. When it was the room's last, the room's file is synced and closed
   * (its frames and epoch stay on disk; the next open finds them).
   */
  async close(roomId: string, listener: LogListener): Promise<void> {
    const room = this.#ready.get(roomId)
    if (!room?.listeners.includes(listener)) return
    room.listeners = room.listeners.filter((l) => l !== listener)
    if (room.listeners.length > 0) return
    while (room.draining) await room.draining
    if (room.listeners.length > 0 || room.pending.length > 0 || this.#ready.get(roomId) !== room) return
    this.#ready.delete(roomId)
    const unloading = room
      .shut()
      .catch((err) => this.#report('io', `room ${roomId}: closing its file failed`, err))
    this.#unloading.set(roomId, unloading)
    await unloading
    if (this.#unloading.get(roomId) === unloading) this.#unloading.delete(roomId)
  }

  /** Writes what is queued, syncs and closes every room's file, and releases the directory. Idempotent. */
  shutdown(): Promise<void> {
    this.#closed ??= this.#closeAll()
    return this.#closed
  }

  /** Rooms held in memory (for tests and stats). */
  get size(): number {
    return this.#ready.size
  }

  async #closeAll(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer)
    await Promise.allSettled([...this.#loading.values(), ...this.#unloading.values()])
    for (const room of this.#ready.values()) {
      while (room.draining) await room.draining
      await room
        .shut()
        .catch((err) => this.#report('io', `room ${room.roomId}: closing its file failed`, err))
    }
    this.#ready.clear()
    this.#lock?.release()
  }

  #room(roomId: string): Promise<LogRoom> {
    if (this.#closed) return Promise.reject(new StoreError('closed', 'the file room log is closed'))
    const ready = this.#ready.get(roomId)
    if (ready) return Promise.resolve(ready)
    let loading = this.#loading.get(roomId)
    if (!loading) {
      loading = (async () => {
        try {
          await this.#unloading.get(roomId)
          const lost = this.#lost.get(roomId)
          this.#lost.delete(roomId)
          const room = await LogRoom.load(this.#dir, roomId, this.#keep, lost !== undefined, this.#onError)
          if (lost) room.listeners = lost
          this.#ready.set(roomId, room)
          return room
        } catch (err) {
          throw err instanceof StoreError
            ? err
            : new StoreError('io', `room ${roomId}: cannot open its log`, { cause: err })
        } finally {
          this.#loading.delete(roomId)
        }
      })()
      this.#loading.set(roomId, loading)
    }
    return loading
  }

  #enqueue(room: LogRoom, frame: OutgoingFrame): Promise<LogPosition> {
    const stored: SequencedFrame = { ...frame, offset: ++room.assigned }
    const bytes = encodeRecord(stored)
    return new Promise<LogPosition>((resolve, reject) => {
      room.pending.push({ stored, bytes, resolve, reject })
      this.#drain(room)
    })
  }

  /** Starts the room's writer loop unless it runs: it writes what is queued, in order, one write per batch. */
  #drain(room: LogRoom): void {
    if (room.draining) return
    room.draining = this.#writeLoop(room)
  }

  async #writeLoop(room: LogRoom): Promise<void> {
    // The body runs after `draining` is set, and clears it in the same step as its last check of
    // `pending`: a publish arriving in between would otherwise find a loop that is done.
    await null
    try {
      while (room.pending.length > 0 || room.syncWanted) await this.#writeNext(room)
    } finally {
      room.draining = undefined
    }
  }

  /** One step of the loop: a batch of queued publishes, or an fsync the timer asked for. */
  async #writeNext(room: LogRoom): Promise<void> {
    if (room.pending.length === 0) {
      room.syncWanted = false
      if (!room.dirty) return
      room.dirty = false
      await room.fh.datasync().catch((err) => this.#report('io', `room ${room.roomId}: fsync failed`, err))
      return
    }
    const batch = room.pending
    room.pending = []
    try {
      await room.append(
        batch.length === 1 ? batch[0]!.bytes : Buffer.concat(batch.map((p) => p.bytes)),
        this.#fsync === 'always',
      )
    } catch (err) {
      this.#fail(room, batch, err)
      return
    }
    room.records += batch.length
    for (const p of batch) this.#commit(room, p)
    if (room.records >= 2 * this.#keep) {
      try {
        await room.compact(this.#keep)
      } catch (err) {
        this.#fail(room, [], err)
        return
      }
    }
  }

  #commit(room: LogRoom, p: Pending): void {
    room.top = p.stored.offset
    room.remember(p.stored, this.#keep)
    for (const listener of room.listeners) {
      try {
        listener(room.roomId, p.stored)
      } catch (err) {
        this.#report('listener', `room ${room.roomId}: a log listener threw`, err)
      }
    }
    p.resolve({ epoch: room.epoch, offset: p.stored.offset })
  }

  /** A write failed: its publishes and those queued behind it fail; the room reopens from disk with a new epoch. */
  #fail(room: LogRoom, batch: Pending[], cause: unknown): void {
    const err = new StoreError('io', `room ${room.roomId}: writing its log failed`, { cause })
    this.#onError(err)
    for (const p of [...batch, ...room.pending]) p.reject(err)
    room.pending = []
    if (this.#ready.get(room.roomId) === room) this.#ready.delete(room.roomId)
    this.#lost.set(room.roomId, room.listeners)
    room.fh.close().catch(() => {})
  }

  #syncDirty(): void {
    for (const room of this.#ready.values()) {
      if (!room.dirty) continue
      room.syncWanted = true
      this.#drain(room)
    }
  }

  #report(code: 'io' | 'listener', message: string, cause: unknown): void {
    this.#onError(new StoreError(code, message, { cause }))
  }
}
