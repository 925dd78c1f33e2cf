/** Buckets per room: the second being counted, and the complete seconds `perSecond` averages over. */
const BUCKETS = 5
/** Complete seconds `perSecond` averages over. */
export const RATE_WINDOW_S = BUCKETS - 1

/** One room's published frames: a total and per-second buckets of the last few seconds. */
class RoomRate {
  total = 0
  /** The clock second `buckets[second % BUCKETS]` is counting. */
  second = 0
  readonly buckets = [0, 0, 0, 0, 0]
}

/**
 * Frames published per room, counted once per publish (never per recipient). A one-second clock
 * ticks on an unref'd timer, so counting is a Map lookup and two increments: no clock read per
 * frame. Old buckets are cleared lazily, when the room next counts or is read.
 */
export class RoomRates {
  readonly #rooms = new Map<string, RoomRate>()
  #second = 0
  readonly #timer: ReturnType<typeof setInterval>

  constructor() {
    this.#timer = setInterval(() => this.#second++, 1000)
    this.#timer.unref()
  }

  /** One frame was published to `roomId`. */
  count(roomId: string): void {
    let r = this.#rooms.get(roomId)
    if (r === undefined) {
      r = new RoomRate()
      r.second = this.#second
      this.#rooms.set(roomId, r)
    } else if (r.second !== this.#second) this.#advance(r)
    r.total++
    r.buckets[r.second % BUCKETS]!++
  }

  /** Frames per second over the last `RATE_WINDOW_S` complete seconds, and the total since the room was first counted. */
  read(roomId: string): { perSecond: number; total: number } {
    const r = this.#rooms.get(roomId)
    if (r === undefined) return { perSecond: 0, total: 0 }
    if (r.second !== this.#second) this.#advance(r)
    let sum = 0
    for (let k = 0; k < BUCKETS; k++) if (k !== r.second % BUCKETS) sum += r.buckets[k]!
    return { perSecond: sum / RATE_WINDOW_S, total: r.total }
  }

  /** Forgets rooms not in `keep` (rooms that stopped). */
  prune(keep: (roomId: string) => boolean): void {
    for (const id of this.#rooms.keys()) if (!keep(id)) this.#rooms.delete(id)
  }

  forget(roomId: string): void {
    this.#rooms.delete(roomId)
  }

  stop(): void {
    clearInterval(this.#timer)
  }

  /** Moves the room to the current second, zeroing the buckets of the seconds it skipped. */
  #advance(r: RoomRate): void {
    const now = this.#second
    const skipped = Math.min(now - r.second, BUCKETS)
    for (let k = 1; k <= skipped; k++) r.buckets[(r.second + k) % BUCKETS] = 0
    r.second = now
  }
}
