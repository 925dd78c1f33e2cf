import type { PresenceAdd, PresenceRemove, PresenceStore, PresenceUser } from './PresenceStore.js'

interface Entry {
  key: string
  connections: number
}

/**
 * In-memory `PresenceStore`: per room, name → holder; synchronous throughout.
 * A holder with one connection is stored as its key alone; an Entry only from the second connection.
 */
export class MemoryPresenceStore implements PresenceStore {
  /** roomId → (name → key, or entry when the user has several connections), in join order. */
  readonly #rooms = new Map<string, Map<string, string | Entry>>()
  /** roomId → (key → name), to remove by key. */
  readonly #names = new Map<string, Map<string, string>>()

  add(roomId: string, user: PresenceUser): PresenceAdd | { taken: true } {
    let byName = this.#rooms.get(roomId)
    let byKey = this.#names.get(roomId)
    if (!byName || !byKey) {
      byName = new Map()
      byKey = new Map()
      this.#rooms.set(roomId, byName)
      this.#names.set(roomId, byKey)
    }
    const held = byName.get(user.name)
    if (held !== undefined) {
      if (typeof held === 'string') {
        if (held !== user.key) return { taken: true }
        byName.set(user.name, { key: held, connections: 2 })
        return { first: false, count: byName.size }
      }
      if (held.key !== user.key) return { taken: true }
      held.connections++
      return { first: false, count: byName.size }
    }
    // One user shows under one name per room: a second name for the same key is refused too.
    if (byKey.has(user.key)) return { taken: true }
    byName.set(user.name, user.key)
    byKey.set(user.key, user.name)
    return { first: true, count: byName.size }
  }

  remove(roomId: string, key: string): PresenceRemove {
    const byName = this.#rooms.get(roomId)
    const byKey = this.#names.get(roomId)
    const name = byKey?.get(key)
    const entry = name === undefined ? undefined : byName?.get(name)
    if (!byName || !byKey || name === undefined || entry === undefined)
      return { last: false, count: byName?.size ?? 0 }
    if (typeof entry !== 'string' && --entry.connections > 0) return { last: false, count: byName.size }
    byName.delete(name)
    byKey.delete(key)
    if (byName.size === 0) {
      this.#rooms.delete(roomId)
      this.#names.delete(roomId)
    }
    return { last: true, count: byName.size }
  }

  list(roomId: string, limit: number): { users: string[]; count: number } {
    const byName = this.#rooms.get(roomId)
    if (!byName) return { users: [], count: 0 }
    const users: string[] = []
    for (const name of byName.keys()) {
      if (users.length >= limit) break
      users.push(name)
    }
    return { users, count: byName.size }
  }

  rooms(): { id: string; userCount: number }[] {
    const out: { id: string; userCount: number }[] = []
    for (const [id, byName] of this.#rooms) out.push({ id, userCount: byName.size })
    return out
  }

  clear(roomId: string): void {
    this.#rooms.delete(roomId)
    this.#names.delete(roomId)
  }
}
