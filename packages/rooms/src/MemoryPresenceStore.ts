import type {
  PresenceAdd,
  PresenceDiff,
  PresenceEntry,
  PresenceListener,
  PresenceRemove,
  PresenceStore,
} from './PresenceStore.js'

export interface MemoryPresenceStoreOptions {
  /**
   * A node that has sent a heartbeat and then sent none for this long is dropped (its users
   * leave) at the next heartbeat of any node. Default 15,000 ms; 0 never drops a node.
   */
  nodeTtlMs?: number
}

/**
 * A user's connections in one room. The common case, one connection whose id is the user's key
 * on the store's first node (an anonymous user on a single node), is stored as the key alone;
 * otherwise entry id (node and connection) → node.
 */
type Holder = string | { key: string; connections: Map<string, string> }

const keyOf = (holder: Holder): string => (typeof holder === 'string' ? holder : holder.key)
/** One entry's id among a user's connections: the same connection id on two nodes is two entries. */
const entryId = (node: string, connection: string): string => `${node}\u0000${connection}`

/** In-memory `PresenceStore`: per room, name → holder, in join order; synchronous throughout. */
export class MemoryPresenceStore implements PresenceStore {
  /** roomId → (name → holder), in join order. */
  readonly #rooms = new Map<string, Map<string, Holder>>()
  /** roomId → (key → name), to find a user by key. */
  readonly #names = new Map<string, Map<string, string>>()
  readonly #listeners = new Set<PresenceListener>()
  /** node → time of its last heartbeat. */
  readonly #beats = new Map<string, number>()
  readonly #ttlMs: number
  /** The node of the compact form (the first node that added an entry). */
  #home: string | undefined

  constructor(options: MemoryPresenceStoreOptions = {}) {
    this.#ttlMs = options.nodeTtlMs ?? 15_000
  }

  add(roomId: string, entry: PresenceEntry): PresenceAdd | { taken: true } {
    let byName = this.#rooms.get(roomId)
    let byKey = this.#names.get(roomId)
    if (!byName || !byKey) {
      byName = new Map()
      byKey = new Map()
      this.#rooms.set(roomId, byName)
      this.#names.set(roomId, byKey)
    }
    const { key, name, node, connection } = entry
    const held = byName.get(name)
    if (held !== undefined) {
      if (keyOf(held) !== key) return { taken: true }
      const connections =
        typeof held === 'string' ? new Map([[entryId(this.#home!, held), this.#home!]]) : held.connections
      connections.set(entryId(node, connection), node)
      if (typeof held === 'string' && connections.size > 1) byName.set(name, { key, connections })
      return { first: false, count: byName.size }
    }
    // One user shows under one name per room: a second name for the same key is refused too.
    if (byKey.has(key)) return { taken: true }
    this.#home ??= node
    const compact = connection === key && node === this.#home
    byName.set(name, compact ? key : { key, connections: new Map([[entryId(node, connection), node]]) })
    byKey.set(key, name)
    this.#emit({ roomId, node, joined: [name], left: [], count: byName.size })
    return { first: true, count: byName.size }
  }

  remove(roomId: string, entry: PresenceEntry): PresenceRemove {
    const byName = this.#rooms.get(roomId)
    const name = this.#names.get(roomId)?.get(entry.key)
    const held = name === undefined ? undefined : byName?.get(name)
    if (!byName || name === undefined || held === undefined) return { last: false, count: byName?.size ?? 0 }
    if (typeof held === 'string') {
      if (entry.connection !== held || entry.node !== this.#home) return { last: false, count: byName.size }
    } else {
      if (!held.connections.delete(entryId(entry.node, entry.connection)))
        return { last: false, count: byName.size }
      if (held.connections.size > 0) return { last: false, count: byName.size }
    }
    this.#forget(roomId, name, entry.key)
    const count = this.#rooms.get(roomId)?.size ?? 0
    this.#emit({ roomId, node: entry.node, joined: [], left: [name], count })
    return { last: true, count }
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

  heartbeat(node: string): void {
    const now = Date.now()
    this.#beats.set(node, now)
    if (this.#ttlMs <= 0) return
    for (const [other, at] of this.#beats) {
      if (now - at < this.#ttlMs) continue
      this.#beats.delete(other)
      this.dropNode(other)
    }
  }

  /** Scans every room (it is rare: a node leaves or dies); one diff per room that lost users. */
  dropNode(node: string): void {
    this.#beats.delete(node)
    for (const [roomId, byName] of [...this.#rooms]) {
      const left: string[] = []
      for (const [name, held] of [...byName]) {
        if (typeof held === 'string') {
          if (this.#home !== node) continue
        } else {
          for (const [id, at] of held.connections) if (at === node) held.connections.delete(id)
          if (held.connections.size > 0) continue
        }
        this.#forget(roomId, name, keyOf(held))
        left.push(name)
      }
      if (left.length > 0)
        this.#emit({ roomId, node, joined: [], left, count: this.#rooms.get(roomId)?.size ?? 0 })
    }
  }

  onDiff(listener: PresenceListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  #forget(roomId: string, name: string, key: string): void {
    const byName = this.#rooms.get(roomId)!
    byName.delete(name)
    this.#names.get(roomId)!.delete(key)
    if (byName.size === 0) {
      this.#rooms.delete(roomId)
      this.#names.delete(roomId)
    }
  }

  /** A listener that throws must not stop the others, nor the change that caused it. */
  #emit(diff: PresenceDiff): void {
    for (const listener of this.#listeners) {
      try {
        listener(diff)
      } catch (err) {
        console.error('[@hubbub/rooms] a presence listener threw (listeners must not)', err)
      }
    }
  }
}
