import type { RoomSnapshot, RoomStateStore } from './RoomStateStore.js'

/** Retired epochs kept per room (the contract asks for at least 16). */
const RETIRED_KEPT = 16

/** A stored snapshot, with the epochs of the room's earlier snapshots that another epoch replaced. */
interface Stored extends RoomSnapshot {
  retired?: readonly string[]
}

/**
 * In-memory `RoomStateStore`: one snapshot per room in a Map, synchronous throughout. `save`
 * ignores a snapshot older than the stored one (a lower offset in the same epoch) and one in a
 * retired epoch (see `RoomStateStore`); an equal offset, or another epoch, replaces it.
 * The state is kept by reference, not copied: save a value you no longer mutate (room state
 * replaced through `setState` is).
 */
export class MemoryRoomStateStore implements RoomStateStore {
  readonly #rooms = new Map<string, Stored>()

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
    let retired = stored?.retired
    if (stored) {
      if (epoch !== undefined && retired?.includes(epoch)) return
      if (sameEpoch(stored.epoch, epoch)) {
        if (stored.offset > offset) return
      } else {
        retired = retire(retired, stored.epoch!)
      }
    }
    const next: Stored = epoch === undefined ? { state, offset } : { state, offset, epoch }
    if (retired !== undefined) next.retired = retired
    this.#rooms.set(roomId, next)
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

/** `retired` with `epoch` added last, keeping the newest `RETIRED_KEPT`. */
function retire(retired: readonly string[] | undefined, epoch: string): readonly string[] {
  return [...(retired ?? []).filter((e) => e !== epoch), epoch].slice(-RETIRED_KEPT)
}
