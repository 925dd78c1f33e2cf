import { join } from 'node:path'
import { DirectoryLock } from './DirectoryLock.js'
import { FileRoomLog } from './FileRoomLog.js'
import { FileRoomStateStore } from './FileRoomStateStore.js'
import type { FileStoreCommon } from './options.js'

export interface FileStoreOptions extends Omit<FileStoreCommon, 'lock'> {
  /** Frames kept per room (and recoverable). Default 1,000. */
  historySize?: number
  /** How long the log remembers a publish key, so a resend is not sequenced twice. Default 60,000 ms. */
  resendWindowMs?: number
}

/** What `fileStore` answers: the parts to spread into `createServer`, and how to close them. */
export interface FileStore {
  /** `{ log, state }`: `createServer({ ...store.server, transport, auth })`. */
  readonly server: { readonly log: FileRoomLog; readonly state: FileRoomStateStore }
  /** Writes what is queued, syncs and closes the files, and releases `dir/LOCK`. Call after `server.close()`. */
  close(): Promise<void>
}

/**
 * A room log (`<dir>/log`) and a room state store (`<dir>/state`) on disk for one server, under
 * one `<dir>/LOCK`: a second process on the same directory is refused with `StoreError('locked')`.
 */
export function fileStore(options: FileStoreOptions): FileStore {
  const lock = DirectoryLock.acquire(options.dir)
  try {
    const log = new FileRoomLog({ ...options, dir: join(options.dir, 'log'), lock: false })
    const state = new FileRoomStateStore({ ...options, dir: join(options.dir, 'state'), lock: false })
    let closing: Promise<void> | undefined
    return {
      server: { log, state },
      close: () => {
        closing ??= Promise.allSettled([log.shutdown(), state.shutdown()]).then(() => lock.release())
        return closing
      },
    }
  } catch (err) {
    lock.release()
    throw err
  }
}
