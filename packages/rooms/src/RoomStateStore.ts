/** A room's persisted state and the log offset it reflects (every frame up to `offset` is applied). */
export interface RoomSnapshot<S = unknown> {
  state: S
  offset: number
}

/**
 * The one persistence seam for a room's authoritative state, next to its `RoomLog`: a room
 * restores the last snapshot and replays the log after its offset. `save` keeps the snapshot
 * with the newest offset: an older one arriving late (a slow write, a second node) is ignored.
 * Signatures are `T | Promise<T>` so the in-memory store stays synchronous.
 */
export interface RoomStateStore {
  load(roomId: string): RoomSnapshot | undefined | Promise<RoomSnapshot | undefined>
  /** Stores `state` as of `offset`, unless a snapshot with a higher offset is already stored. */
  save(roomId: string, state: unknown, offset: number): void | Promise<void>
  /** Forgets a room's snapshot (the application deleted the room). */
  delete(roomId: string): void | Promise<void>
}
