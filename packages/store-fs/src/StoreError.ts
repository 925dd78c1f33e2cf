/** Why a file store refused or failed. */
export type StoreErrorCode =
  /** Another live process holds the directory's LOCK file. */
  | 'locked'
  /** An option is out of range. */
  | 'invalid_options'
  /** The store was closed. */
  | 'closed'
  /** A read, write, fsync or rename failed; `cause` is the system error. */
  | 'io'
  /** A torn or corrupt record at the end of a room's file was dropped on open (after a crash). */
  | 'truncated'
  /** A log listener (the node's fan-out) threw; the frame is stored and reached the other listeners. */
  | 'listener'

/** The one error class of `@hubbub/store-fs`: a closed `code`, the original error as `cause`. */
export class StoreError extends Error {
  override readonly name = 'StoreError'
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}
