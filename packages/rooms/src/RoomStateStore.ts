/** A room's persisted state and the log offset it reflects (every frame up to `offset` is applied). */
export interface RoomSnapshot<S = unknown> {
  state: S
  offset: number
  /**
   * The log epoch `offset` counts in (absent from a store that does not record it, or a save
   * without one). A room restoring a snapshot of another epoch keeps its state but not its
   * offset: the log started over, so the snapshot covers none of the current epoch's frames.
   */
  epoch?: string
}

/**
 * The one persistence seam for a room's authoritative state, next to its `RoomLog`: a room
 * restores the last snapshot and replays the log after its offset. `save` keeps the snapshot
 * with the newest offset: an older one arriving late (a slow write, a second node) is ignored.
 * Offsets only compare within an epoch: a save in another epoch than the stored one (the log
 * lost or forgot the room and started over at 0) replaces it, whatever its offset.
 * Epochs are ordered by the store, not by their names or clocks: the epoch a replaced snapshot
 * was saved in is retired, and a later save in a retired epoch (a slow write of the room's
 * previous life, landing after the new epoch's first snapshot) is ignored. An epoch never comes
 * back once its log moved on, so a retired one only ever belongs to a late writer. A store keeps
 * at least the last 16 retired epochs of a room; `delete` forgets them with the snapshot.
 * Signatures are `T | Promise<T>` so the in-memory store stays synchronous.
 */
export interface RoomStateStore {
  load(roomId: string): RoomSnapshot | undefined | Promise<RoomSnapshot | undefined>
  /**
   * Stores `state` as of `offset` in `epoch`, unless a snapshot with a higher offset in the same
   * epoch is already stored (a snapshot or a save without an epoch compares by offset alone), or
   * `epoch` is retired (an earlier snapshot of it was replaced by one of another epoch).
   */
  save(roomId: string, state: unknown, offset: number, epoch?: string): void | Promise<void>
  /** Forgets a room's snapshot (the application deleted the room). */
  delete(roomId: string): void | Promise<void>
}
