import { type FileHandle, open, truncate } from 'node:fs/promises'
import { join } from 'node:path'
import { type LogListener, type LogPosition, newEpoch, type SequencedFrame } from '@hubbub/rooms'
import { readIfExists, replaceFile, writeAll } from './durableFiles.js'
import { roomFileName } from './fileNames.js'
import { encodeRecord, scanRecords } from './records.js'
import { StoreError } from './StoreError.js'

/** `<room>.meta`: the room's epoch, and an offset its log reached (at a compaction or a clean close). */
interface Meta {
  roomId: string
  epoch: string
  top: number
}

/** A publish waiting for its record to be written. */
export interface Pending {
  stored: SequencedFrame
  bytes: Buffer
  resolve: (position: LogPosition) => void
  reject: (err: unknown) => void
}

const isFrame = (v: unknown): v is SequencedFrame =>
  typeof v === 'object' && v !== null && Number.isInteger((v as SequencedFrame).offset)

function parseMeta(data: Buffer | undefined, roomId: string): Meta | undefined {
  if (!data) return undefined
  try {
    const meta = JSON.parse(data.toString('utf8')) as Meta
    if (meta.roomId === roomId && typeof meta.epoch === 'string' && Number.isInteger(meta.top)) return meta
  } catch {
    // A garbled meta file: the room's epoch is unknown, so it gets a new one.
  }
  return undefined
}

/**
 * One room's log on disk (`<room>.log`, append-only records) and in memory (its last frames, its
 * listeners, the publishes waiting to be written). `FileRoomLog` drives it.
 */
export class LogRoom {
  /** The last offset written and delivered: what `open` and `read` answer. */
  top: number
  /** The last offset handed out by `publish` (ahead of `top` while writes are in flight). */
  assigned: number
  /** The last frames written, oldest first (at most `2 × keep`; trimmed in bulk). */
  ring: SequencedFrame[]
  /** Records in the file. */
  records: number
  listeners: readonly LogListener[] = []
  pending: Pending[] = []
  /** Publish keys seen in the resend window (in memory only), oldest first. */
  readonly keys = new Map<string, { position: Promise<LogPosition>; until: number }>()
  /** The writer loop, while it runs. */
  draining: Promise<void> | undefined
  /** Written since the last fsync. */
  dirty = false
  /** The interval timer asks the writer loop to fsync. */
  syncWanted = false

  private constructor(
    readonly roomId: string,
    readonly epoch: string,
    readonly logPath: string,
    readonly metaPath: string,
    public fh: FileHandle,
    top: number,
    ring: SequencedFrame[],
    records: number,
  ) {
    this.top = top
    this.assigned = top
    this.ring = ring
    this.records = records
  }

  /**
   * Opens a room's files: scans the log, drops a torn or corrupt tail, and keeps the epoch of the
   * meta file when the log still reaches the offset it recorded. A room that is new, or whose data
   * is gone (missing or shorter log, garbled meta, or `lost` after a failed write), gets a new
   * epoch; its offsets go on from the highest known, so none repeats in any epoch.
   */
  static async load(
    dir: string,
    roomId: string,
    keep: number,
    lost: boolean,
    report: (err: StoreError) => void,
  ): Promise<LogRoom> {
    const name = roomFileName(roomId)
    const logPath = join(dir, `${name}.log`)
    const metaPath = join(dir, `${name}.meta`)
    const meta = parseMeta(await readIfExists(metaPath), roomId)
    const data = (await readIfExists(logPath)) ?? Buffer.alloc(0)
    let previous = 0
    const scan = scanRecords(data, (value, index) => {
      if (!isFrame(value) || value.offset < 1 || (index > 0 && value.offset !== previous + 1)) return false
      previous = value.offset
      return true
    })
    let frames = scan.values as SequencedFrame[]
    if (scan.validLength < data.length) {
      await truncate(logPath, scan.validLength)
      report(
        new StoreError(
          'truncated',
          `room ${roomId}: dropped ${data.length - scan.validLength} bytes of a torn or corrupt record at the end of ${logPath}`,
        ),
      )
    }
    const scannedTop = frames.at(-1)?.offset ?? 0
    let epoch: string
    let top = scannedTop
    if (meta && !lost && scannedTop >= meta.top) {
      epoch = meta.epoch
    } else {
      epoch = newEpoch()
      if (meta && meta.top > scannedTop) {
        // Records the room once had are gone: start its new epoch empty, after the highest offset known.
        top = meta.top
        frames = []
        await truncate(logPath, 0).catch(() => {})
      }
      await replaceFile(metaPath, JSON.stringify({ roomId, epoch, top } satisfies Meta), true)
    }
    const fh = await open(logPath, 'a')
    return new LogRoom(roomId, epoch, logPath, metaPath, fh, top, frames.slice(-keep), frames.length)
  }

  /** Records the offset the log reached (call after the log is synced: an OS crash then cannot undercut it). */
  async writeMeta(): Promise<void> {
    const meta: Meta = { roomId: this.roomId, epoch: this.epoch, top: this.top }
    await replaceFile(this.metaPath, JSON.stringify(meta), true)
  }

  /** Adds written frames to the ring, trimming it to `keep` in bulk (amortised O(1)). */
  remember(frame: SequencedFrame, keep: number): void {
    this.ring.push(frame)
    if (this.ring.length >= 2 * keep) this.ring = this.ring.slice(-keep)
  }

  /** The last `n` frames (of at most `keep`), oldest first. */
  last(n: number, keep: number): SequencedFrame[] {
    const count = Math.max(0, Math.min(n, keep, this.ring.length))
    return count === 0 ? [] : this.ring.slice(this.ring.length - count)
  }

  /** Rewrites the log with only its last `keep` frames (synced, then renamed over it), and reopens it. */
  async compact(keep: number): Promise<void> {
    const frames = this.ring.slice(-keep)
    await replaceFile(this.logPath, Buffer.concat(frames.map(encodeRecord)), true)
    const fresh = await open(this.logPath, 'a')
    const old = this.fh
    this.fh = fresh
    this.records = frames.length
    this.dirty = false
    await old.close().catch(() => {})
    await this.writeMeta()
  }

  async append(data: Uint8Array, sync: boolean): Promise<void> {
    await writeAll(this.fh, data)
    if (sync) await this.fh.datasync()
    else this.dirty = true
  }

  /** Syncs what is written, records the top in the meta file, and closes the log. */
  async shut(): Promise<void> {
    try {
      await this.fh.datasync()
      this.dirty = false
      await this.writeMeta()
    } finally {
      await this.fh.close()
    }
  }
}
