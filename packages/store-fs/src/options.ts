import { StoreError } from './StoreError.js'

/** When appended records are forced to disk (`fsync`). */
export type FsyncMode = 'always' | 'interval' | 'never'

/** Options shared by the file log and the file state store. */
export interface FileStoreCommon {
  /** The directory of the files; created if missing. */
  dir: string
  /**
   * `always`: each publish answers after its record is on disk (fdatasync; concurrent publishes
   * share one). `interval` (default): written at once (a process crash loses nothing), synced
   * every `fsyncIntervalMs` (an OS crash or power cut can lose that much). `never`: left to the OS.
   */
  fsync?: FsyncMode
  /** How often `interval` syncs. Default 1,000 ms. */
  fsyncIntervalMs?: number
  /** Write failures, torn tails dropped on open, listener throws; the store carries on. Default: ignored. */
  onError?: (err: StoreError) => void
  /**
   * Take `dir/LOCK` (refuse a directory another live process uses). Default true; `fileStore`
   * takes one lock for both of its stores and passes false.
   */
  lock?: boolean
}

export function checkCommon(o: FileStoreCommon): { fsync: FsyncMode; fsyncIntervalMs: number } {
  if (typeof o.dir !== 'string' || o.dir === '') throw new StoreError('invalid_options', 'dir must be a path')
  const fsync = o.fsync ?? 'interval'
  if (fsync !== 'always' && fsync !== 'interval' && fsync !== 'never') {
    throw new StoreError(
      'invalid_options',
      `fsync must be 'always', 'interval' or 'never', got ${String(fsync)}`,
    )
  }
  const fsyncIntervalMs = o.fsyncIntervalMs ?? 1000
  if (!Number.isFinite(fsyncIntervalMs) || fsyncIntervalMs <= 0) {
    throw new StoreError('invalid_options', `fsyncIntervalMs must be > 0, got ${fsyncIntervalMs}`)
  }
  return { fsync, fsyncIntervalMs }
}
