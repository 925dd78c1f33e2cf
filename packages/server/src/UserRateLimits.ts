import { TypeBuckets } from './TypeBuckets.js'

/**
 * One node's per-user buckets (`rateLimits` with `per: 'user'`), by room and user. Each joining
 * connection holds its user's entry; the entry goes when the user's last connection in the room
 * leaves (or closes), so memory follows the members present. Per node: a user whose connections
 * are on two nodes of a cluster has a bucket on each.
 */
export class UserRateLimits {
  readonly #entries = new Map<string, TypeBuckets>()

  /** The buckets of user `userKey` (a `RoomMember.key`) in `roomId`, held once more. */
  acquire(roomId: string, userKey: string): TypeBuckets {
    const id = `${roomId}\u0000${userKey}`
    let entry = this.#entries.get(id)
    if (entry === undefined) {
      entry = new TypeBuckets(id)
      this.#entries.set(id, entry)
    }
    entry.holders++
    return entry
  }

  /** One connection of the user left the room: the last one takes the buckets away. */
  release(entry: TypeBuckets): void {
    if (--entry.holders > 0) return
    if (this.#entries.get(entry.id) === entry) this.#entries.delete(entry.id)
  }

  /** Users (per room) this node keeps buckets for. */
  get size(): number {
    return this.#entries.size
  }
}
