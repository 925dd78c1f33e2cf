import { mkdirSync } from 'node:fs'
import { unlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { RoomSnapshot, RoomStateStore } from '@hubbub/rooms'
import { DirectoryLock } from './DirectoryLock.js'
import { readIfExists, replaceFile } from './durableFiles.js'
import { roomFileName } from './fileNames.js'
import { checkCommon, type FileStoreCommon, type FsyncMode } from './options.js'
import { StoreError } from './StoreError.js'

export type FileRoomStateStoreOptions = FileStoreCommon

interface StoredSnapshot {
  roomId: string
  offset: number
  /** The log epoch `offset` counts in; absent when saved without one (and in files written before epochs were kept). */
  epoch?: string
  /** Epochs of earlier snapshots that one of another epoch replaced: saves in them are ignored. */
  retired?: string[]
  state: unknown
}

/** Retired epochs kept per room (the contract asks for at least 16). */
const RETIRED_KEPT = 16

const ignore = () => {}

/** Whether offsets of the two epochs compare: the same epoch, or one unknown. */
function sameEpoch(a: string | undefined, b: string | undefined): boolean {
  return a === undefined || b === undefined || a === b
}

/**
 * A `RoomStateStore` on disk: one JSON file per room (`<room>.state`), replaced atomically (temp
 * file and rename) on each save, so a crash leaves the old snapshot or the new one. Calls on one
 * room run one after the other. States are stored as JSON, with the offset and the log epoch
 * they were saved in: a lower offset in the same epoch is ignored, a save in another epoch replaces,
 * and a save in a retired epoch (see `RoomStateStore`) is ignored.
 */
export class FileRoomStateStore implements RoomStateStore {
  readonly #dir: string
  readonly #fsync: FsyncMode
  readonly #onError: (err: StoreError) => void
  readonly #lock: DirectoryLock | undefined
  /** Each room's last queued call, so calls on a room never overlap. */
  readonly #queues = new Map<string, Promise<unknown>>()
  #closed = false

  constructor(options: FileRoomStateStoreOptions) {
    this.#fsync = checkCommon(options).fsync
    this.#dir = options.dir
    this.#onError = options.onError ?? ignore
    this.#lock = options.lock === false ? undefined : DirectoryLock.acquire(options.dir)
    mkdirSync(options.dir, { recursive: true })
  }

  load(roomId: string): Promise<RoomSnapshot | undefined> {
    return this.#queue(roomId, async () => {
      const stored = await this.#read(roomId)
      if (stored === undefined) return undefined
      const snapshot: RoomSnapshot = { state: stored.state, offset: stored.offset }
      if (stored.epoch !== undefined) snapshot.epoch = stored.epoch
      return snapshot
    })
  }

  save(roomId: string, state: unknown, offset: number, epoch?: string): Promise<void> {
    return this.#queue(roomId, async () => {
      const stored = await this.#read(roomId)
      // Offsets compare only within one epoch (or when either is unknown): a save in another
      // epoch (the log started the room over at 0) replaces the snapshot whatever its offset.
      // A save in a retired epoch (a late write of the room's previous life) is ignored too.
      let retired = stored?.retired
      if (stored) {
        if (epoch !== undefined && retired?.includes(epoch)) return
        if (sameEpoch(stored.epoch, epoch)) {
          if (stored.offset > offset) return
        } else {
          retired = [...(retired ?? []).filter((e) => e !== stored.epoch), stored.epoch!].slice(-RETIRED_KEPT)
        }
      }
      const snapshot: StoredSnapshot =
        epoch === undefined ? { roomId, offset, state } : { roomId, offset, epoch, state }
      if (retired !== undefined) snapshot.retired = retired
      await replaceFile(this.#path(roomId), JSON.stringify(snapshot), this.#fsync !== 'never')
    })
  }

  delete(roomId: string): Promise<void> {
    return this.#queue(roomId, async () => {
      await unlink(this.#path(roomId)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err
      })
    })
  }

  /** Waits for the calls in flight and releases the directory. Idempotent. */
  async shutdown(): Promise<void> {
    this.#closed = true
    await Promise.allSettled([...this.#queues.values()])
    this.#lock?.release()
  }

  #path(roomId: string): string {
    return join(this.#dir, `${roomFileName(roomId)}.state`)
  }

  async #read(roomId: string): Promise<StoredSnapshot | undefined> {
    const data = await readIfExists(this.#path(roomId))
    if (!data) return undefined
    try {
      const stored = JSON.parse(data.toString('utf8')) as StoredSnapshot
      if (
        stored.roomId === roomId &&
        Number.isInteger(stored.offset) &&
        (stored.epoch === undefined || typeof stored.epoch === 'string') &&
        (stored.retired === undefined || Array.isArray(stored.retired))
      )
        return stored
    } catch {
      // Reported below.
    }
    this.#onError(new StoreError('truncated', `room ${roomId}: its state file does not parse; ignored`))
    return undefined
  }

  #queue<T>(roomId: string, step: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new StoreError('closed', 'the file state store is closed'))
    const previous = this.#queues.get(roomId) ?? Promise.resolve()
    const run = previous.then(step, step).catch((err: unknown) => {
      throw err instanceof StoreError
        ? err
        : new StoreError('io', `room ${roomId}: ${(err as Error).message}`, { cause: err })
    })
    const settled = run.catch(() => {})
    this.#queues.set(roomId, settled)
    // Forget a room's queue once it is idle, so the map does not grow with every room ever seen.
    void settled.then(() => {
      if (this.#queues.get(roomId) === settled) this.#queues.delete(roomId)
    })
    return run
  }
}
