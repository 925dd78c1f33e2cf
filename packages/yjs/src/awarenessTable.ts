import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'

/** One client's awareness state as the room holds it. */
interface Entry {
  clock: number
  /** The JSON text of the state; `null` once it was removed. */
  state: string
  /** The member that sent it, by name. */
  user: string
  /** The node (the `yjsRoom` instance) whose member sent it. */
  node: string
  seenAt: number
}

/** One held state as a snapshot keeps it (so a node that starts from the snapshot has it at once). */
export interface HeldAwareness extends AwarenessChange {
  user: string
  node: string
  seenAt: number
}

/** A decoded y-protocols awareness update. */
export interface AwarenessChange {
  clientID: number
  clock: number
  state: string
}

/** Reads an awareness update (`[n, (clientID, clock, JSON state) × n]`); throws on bad input. */
export function readAwareness(data: Uint8Array, maxEntries: number): AwarenessChange[] {
  const decoder = decoding.createDecoder(data)
  const n = decoding.readVarUint(decoder)
  if (n > maxEntries) throw new Error(`${n} awareness states in one update, more than ${maxEntries}`)
  const out: AwarenessChange[] = []
  for (let i = 0; i < n; i++) {
    const clientID = decoding.readVarUint(decoder)
    const clock = decoding.readVarUint(decoder)
    const state = decoding.readVarString(decoder)
    JSON.parse(state) // refuse what a client's Awareness could not read
    out.push({ clientID, clock, state })
  }
  if (decoding.hasContent(decoder)) throw new Error('trailing bytes after the awareness states')
  return out
}

export function writeAwareness(changes: readonly AwarenessChange[]): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, changes.length)
  for (const c of changes) {
    encoding.writeVarUint(encoder, c.clientID)
    encoding.writeVarUint(encoder, c.clock)
    encoding.writeVarString(encoder, c.state)
  }
  return encoding.toUint8Array(encoder)
}

/**
 * The room's awareness (cursors, selections, names and colours): the newest state per Yjs client id,
 * who sent it and when, so that states of members who left or went silent can be expired.
 */
export class AwarenessTable {
  readonly #entries = new Map<number, Entry>()

  /**
   * Takes the changes `user` sent. A state another member owns is refused (a member cannot speak
   * for someone else's cursor); an older clock is ignored, as Yjs clients do.
   */
  apply(user: string, node: string, changes: readonly AwarenessChange[], now: number): string | undefined {
    for (const c of changes) {
      const held = this.#entries.get(c.clientID)
      if (held !== undefined && held.user !== user && held.state !== 'null') {
        return `awareness client ${c.clientID} belongs to another member`
      }
    }
    for (const c of changes) {
      const held = this.#entries.get(c.clientID)
      if (held !== undefined && (c.clock < held.clock || (c.clock === held.clock && c.state !== 'null'))) {
        held.seenAt = Math.max(held.seenAt, now)
        continue
      }
      if (c.state === 'null') this.#entries.delete(c.clientID)
      else this.#entries.set(c.clientID, { clock: c.clock, state: c.state, user, node, seenAt: now })
    }
    return undefined
  }

  /** Every state held, as one update (for a member that just synced). Empty: undefined. */
  all(): Uint8Array | undefined {
    if (this.#entries.size === 0) return undefined
    return writeAwareness(
      [...this.#entries].map(([clientID, e]) => ({ clientID, clock: e.clock, state: e.state })),
    )
  }

  /**
   * Removes the states `user` sent through `node` (or those not renewed since `before`); answers
   * their removal update.
   */
  expire(select: { user: string; node: string } | { before: number }): Uint8Array | undefined {
    const removed: AwarenessChange[] = []
    for (const [clientID, e] of this.#entries) {
      if ('user' in select ? e.user !== select.user || e.node !== select.node : e.seenAt >= select.before)
        continue
      this.#entries.delete(clientID)
      removed.push({ clientID, clock: e.clock + 1, state: 'null' })
    }
    return removed.length === 0 ? undefined : writeAwareness(removed)
  }

  /** Every state held, with who sent it, through which node and when (for a snapshot). */
  dump(): HeldAwareness[] {
    return [...this.#entries].map(([clientID, e]) => ({ clientID, ...e }))
  }

  /** Takes the states of a snapshot, those seen since `since` only. */
  load(held: readonly HeldAwareness[], since: number): void {
    for (const h of held) {
      if (h.seenAt < since || h.state === 'null') continue
      const { clientID, clock, state, user, node, seenAt } = h
      this.#entries.set(clientID, { clock, state, user, node, seenAt })
    }
  }

  get size(): number {
    return this.#entries.size
  }
}
