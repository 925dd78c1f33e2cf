import type { RoomSnapshot, RoomStateStore } from './RoomStateStore.js'

/**
 * In-memory `RoomStateStore`: one snapshot per room in a Map, synchronous throughout. `save`
 * ignores a snapshot older than the stored one (a lower offset); an equal offset replaces it.
 * The state is kept by reference, not copied: save a value you no longer mutate (room state
 * replaced through `setState` is).
 */
export class MemoryRoomStateStore implements RoomStateStore {
  readonly #rooms = new Map<string, RoomSnapshot>()

  load(roomId: string): RoomSnapshot | undefined {
    const stored = this.#rooms.get(roomId)
    // A copy of the record, so a caller changing `offset` cannot move the stored one.
    return stored && { state: stored.state, offset: stored.offset }
  }

  save(roomId: string, state: unknown, offset: number): void {
    const stored = this.#rooms.get(roomId)
    if (stored && stored.offset > offset) return
    this.#rooms.set(roomId, { state, offset })
  }

  delete(roomId: string): void {
    this.#rooms.delete(roomId)
  }

  /** Rooms with a snapshot (for tests and stats). */
  get size(): number {
    return this.#rooms.size
  }
}
