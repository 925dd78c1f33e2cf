import type { RoomSnapshot, RoomStateStore } from './RoomStateStore.js'

/**
 * In-memory `RoomStateStore`: one snapshot per room in a Map, synchronous throughout. `save`
 * ignores a snapshot older than the stored one (a lower offset in the same epoch); an equal
 * offset, or another epoch, replaces it.
 * The state is kept by reference, not copied: save a value you no longer mutate (room state
 * replaced through `setState` is).
 */
export class MemoryRoomStateStore implements RoomStateStore {
  readonly #rooms = new Map<string, RoomSnapshot>()

  load(roomId: string): RoomSnapshot | undefined {
    const stored = this.#rooms.get(roomId)
    // A copy of the record, so a caller changing `offset` cannot move the stored one.
    if (stored === undefined) return undefined
    const copy: RoomSnapshot = { state: stored.state, offset: stored.offset }
    if (stored.epoch !== undefined) copy.epoch = stored.epoch
    return copy
  }

  save(roomId: string, state: unknown, offset: number, epoch?: string): void {
    const stored = this.#rooms.get(roomId)
    if (stored && sameEpoch(stored.epoch, epoch) && stored.offset > offset) return
    this.#rooms.set(roomId, epoch === undefined ? { state, offset } : { state, offset, epoch })
  }

  delete(roomId: string): void {
    this.#rooms.delete(roomId)
  }

  /** Rooms with a snapshot (for tests and stats). */
  get size(): number {
    return this.#rooms.size
  }
}

/** Whether offsets of the two epochs compare: the same epoch, or one unknown. */
function sameEpoch(a: string | undefined, b: string | undefined): boolean {
  return a === undefined || b === undefined || a === b
}
