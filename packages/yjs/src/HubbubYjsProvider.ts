import type { Client, HubbubError, Room } from '@hubbub/client'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import {
  type Awareness,
  applyAwarenessUpdate,
  encodeAwarenessUpdate,
  removeAwarenessStates,
} from 'y-protocols/awareness'
import * as Y from 'yjs'

// y-protocols sync message types (kept here so this browser-side file imports nothing of the server's).
const STEP_1 = 0
const STEP_2 = 1
const UPDATE = 2

/** Refusals the room may lift later: the update is sent again after a backoff. Any other refusal is final. */
const TRANSIENT: ReadonlySet<string> = new Set(['RATE_LIMITED', 'UNAVAILABLE'])
/** A resend is split into frames of about this many bytes at most (the frame limit is 64 KiB). */
const RESEND_BYTES = 30_000
/** Sends whose echo or refusal is awaited, at most: beyond, the oldest are forgotten (a safety valve). */
const MAX_TRACKED = 256

export type ProviderStatus = 'connecting' | 'connected' | 'disconnected'

export interface HubbubYjsProviderOptions {
  /** The y-protocols awareness of this document (cursors, selections, names): shared with the room. */
  awareness?: Awareness
  /** Name to join with, for an anonymous connection's first room. */
  username?: string
  /**
   * Backoff before updates the room refused for now (`RATE_LIMITED`, `UNAVAILABLE`) are sent
   * again: `minMs` doubled per refusal in a row, at most `maxMs`, shortened by up to half at
   * random. Default `{ minMs: 100, maxMs: 5000 }`.
   */
  resend?: { minMs?: number; maxMs?: number }
}

/** A frame sent and not yet confirmed (its copy sequenced by the room came back) nor refused. */
interface Sent {
  kind: 'update' | 'awareness'
  data: Uint8Array
  /** Held updates sent again. */
  resend?: boolean
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}

type Listener<T> = (value: T) => void

/** Two zero varints: no structs, no deletes (an empty step 2). */
function isEmptyUpdate(update: Uint8Array): boolean {
  return update.byteLength === 2 && update[0] === 0 && update[1] === 0
}

function syncMessage(kind: number, payload: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, kind)
  encoding.writeVarUint8Array(encoder, payload)
  return encoding.toUint8Array(encoder)
}

/**
 * Keeps a `Y.Doc` in sync with a Hubbub Yjs room (`yjsRoom` on the server) over a `Client` that
 * speaks msgpack (`wire: msgpackWire`). On every (re)join it runs the y-protocols sync: it sends its
 * state vector, applies what the room has and it lacks, and sends what the room lacks. Local edits
 * go out only while synced; edits made offline reach the room through that exchange after the
 * reconnect, so nothing is sent twice or lost. An update the room refuses for now (`RATE_LIMITED`,
 * `UNAVAILABLE`) is kept, merged with the edits made after it, and sent again after a backoff; one it
 * refuses for good (too large, unreadable) is reported as an `error` and not sent again. While the
 * connection is down, the other users' awareness states are removed (they come back with the resync).
 * Events: `sync` (true once the room's document is in), `status` (`connecting`, `connected`,
 * `disconnected`), `error` (a `HubbubError`: an update or awareness frame refused for good).
 */
export class HubbubYjsProvider {
  readonly client: Client
  readonly roomId: string
  readonly doc: Y.Doc
  readonly awareness: Awareness | undefined
  /** The room's document is in (and ours went out) since the last (re)join. */
  synced = false
  status: ProviderStatus = 'connecting'
  room: Room | undefined
  #listeners = new Map<string, Set<Listener<any>>>()
  #offs: (() => void)[] = []
  #outgoing: Uint8Array[] = []
  /** Frames on the wire, by id, until the room's sequenced copy comes back or the room refuses them. */
  #sent = new Map<string, Sent>()
  /** Updates refused for now, and the local edits made since (they may build on them): sent again together. */
  #held: Uint8Array[] = []
  /**
   * An update was refused for good. Every later update of this document would be refused too (it
   * continues the refused one's clocks, which the room lacks), so local edits are held, not sent,
   * until the next resync offers them (and the refused one) again.
   */
  #stalled = false
  /** The local awareness state was refused for now: sent again with the held updates. */
  #awarenessHeld = false
  #resendTimer: ReturnType<typeof setTimeout> | undefined
  /** Refusals in a row, for the backoff. */
  #refusals = 0
  #resendMin: number
  #resendMax: number
  #destroyed = false

  constructor(client: Client, roomId: string, doc: Y.Doc, options: HubbubYjsProviderOptions = {}) {
    this.client = client
    this.roomId = roomId
    this.doc = doc
    this.awareness = options.awareness
    this.#resendMin = options.resend?.minMs ?? 100
    this.#resendMax = options.resend?.maxMs ?? 5000
    doc.on('update', this.#onDocUpdate)
    this.awareness?.on('update', this.#onAwarenessUpdate)
    this.#offs.push(
      client.on('state', (state) => {
        if (state === 'open') return // the room's rejoin (its history) starts the sync
        this.#setSynced(false)
        this.#setStatus(state === 'closed' || state === 'reconnecting' ? 'disconnected' : 'connecting')
        this.#dropRemoteAwareness()
      }),
      client.on('custom', (frame) => this.#onFrame(frame as unknown as Record<string, unknown>)),
      client.on('error', (error) => this.#onError(error)),
    )
    const joining =
      options.username === undefined
        ? client.join(roomId)
        : client.join(roomId, { username: options.username })
    joining.then(
      (room) => {
        if (this.#destroyed) return
        this.room = room
        // Every rejoin (after a reconnect, or after the room restarted) is followed by a `history`.
        this.#offs.push(room.on('history', () => this.#resync()))
        this.#resync()
      },
      () => this.#setStatus('disconnected'),
    )
  }

  on(type: 'sync', listener: Listener<boolean>): () => void
  on(type: 'status', listener: Listener<{ status: ProviderStatus }>): () => void
  /** An update or awareness frame the room refused for good (`INVALID_MESSAGE`: too large, unreadable, …). */
  on(type: 'error', listener: Listener<HubbubError>): () => void
  on(type: string, listener: Listener<any>): () => void {
    let set = this.#listeners.get(type)
    if (!set) {
      set = new Set()
      this.#listeners.set(type, set)
    }
    set.add(listener)
    return () => set.delete(listener)
  }

  /**
   * Local updates the room has not confirmed yet: on the wire, waiting for a resend after a
   * refusal, held after a refusal for good, or about to go out. 0 means every local edit since the
   * last sync is in the room's log.
   */
  get unconfirmed(): number {
    let n = this.#held.length + this.#outgoing.length
    for (const sent of this.#sent.values()) if (sent.kind === 'update') n++
    return n
  }

  /** Stops syncing: removes this client's awareness state and leaves the room. */
  destroy(): void {
    if (this.#destroyed) return
    this.#destroyed = true
    clearTimeout(this.#resendTimer)
    this.doc.off('update', this.#onDocUpdate)
    if (this.awareness) {
      this.awareness.off('update', this.#onAwarenessUpdate)
      removeAwarenessStates(this.awareness, [this.doc.clientID], 'destroy')
    }
    for (const off of this.#offs) off()
    this.room?.leave().catch(() => {})
  }

  #emit(type: string, value: unknown): void {
    for (const listener of this.#listeners.get(type) ?? []) listener(value)
  }

  #setStatus(status: ProviderStatus): void {
    if (this.status === status) return
    this.status = status
    this.#emit('status', { status })
  }

  #setSynced(synced: boolean): void {
    if (this.synced === synced) return
    this.synced = synced
    this.#emit('sync', synced)
  }

  #send(type: 'yjs_sync' | 'yjs_awareness', data: Uint8Array): string | undefined {
    return this.client.send({ type, roomId: this.roomId, data } as never)
  }

  /** Sends an update (or a step 2) and remembers it until the room confirms or refuses it. */
  #sendUpdate(kind: number, update: Uint8Array, resend = false): void {
    this.#track(this.#send('yjs_sync', syncMessage(kind, update)), { kind: 'update', data: update, resend })
  }

  #sendAwareness(data: Uint8Array): void {
    this.#track(this.#send('yjs_awareness', data), { kind: 'awareness', data })
  }

  #track(id: string | undefined, sent: Sent): void {
    if (id === undefined) return
    this.#sent.set(id, sent)
    if (this.#sent.size > MAX_TRACKED) this.#sent.delete(this.#sent.keys().next().value!)
  }

  /** The room sequenced a frame: if it is one of ours, it is confirmed. */
  #confirm(kind: Sent['kind'], data: Uint8Array): void {
    for (const [id, sent] of this.#sent) {
      if (sent.kind !== kind || !sameBytes(sent.data, data)) continue
      this.#sent.delete(id)
      if (this.#held.length === 0) this.#refusals = 0
      return
    }
  }

  #onError(error: HubbubError): void {
    const sent = error.replyTo === undefined ? undefined : this.#sent.get(error.replyTo)
    if (sent === undefined || this.#destroyed) return
    this.#sent.delete(error.replyTo!)
    // The room restarts: its rejoin runs the sync again, which carries whatever it lacks.
    if (error.code === 'NOT_IN_ROOM') return
    if (sent.kind === 'awareness') {
      if (!TRANSIENT.has(error.code)) {
        this.#emit('error', error)
        return
      }
      this.#awarenessHeld = true
    } else if (this.#stalled) {
      // Sent before the refusal for good came back: refused for the same reason, already reported.
      this.#held.push(sent.data)
      return
    } else if (
      TRANSIENT.has(error.code) ||
      this.#held.length > 0 ||
      (this.#refusals > 0 && sent.resend !== true)
    ) {
      // Refused for now; or refused because it may build on an update that was (held, or sent
      // again and not yet confirmed: the room lacks its base): either way it goes out again,
      // after the updates held before it, merged with them. A resend refused for good with nothing
      // held before it is final, so this holds an update back at most once.
      this.#held.push(sent.data)
    } else {
      // Refused for good (too large, unreadable): sending it again would be refused again, and so
      // would every later edit. Reported once; nothing more is sent until the next resync.
      this.#stalled = true
      clearTimeout(this.#resendTimer)
      this.#resendTimer = undefined
      this.#held.push(sent.data)
      this.#emit('error', error)
      return
    }
    this.#scheduleResend()
  }

  #scheduleResend(): void {
    if (this.#resendTimer !== undefined) return
    const full = Math.min(this.#resendMax, this.#resendMin * 2 ** this.#refusals++)
    this.#resendTimer = setTimeout(
      () => {
        this.#resendTimer = undefined
        this.#resend()
      },
      full * (0.5 + Math.random() / 2),
    )
  }

  /** Sends the held updates (merged, in frames of bounded size) and the refused awareness state. */
  #resend(): void {
    // Offline: the resync after the rejoin calls this again.
    if (this.#destroyed || !this.synced || this.#stalled) return
    const held = this.#held
    this.#held = []
    let group: Uint8Array[] = []
    let bytes = 0
    for (const update of held) {
      if (group.length > 0 && bytes + update.byteLength > RESEND_BYTES) {
        this.#sendUpdate(UPDATE, Y.mergeUpdates(group), true)
        group = []
        bytes = 0
      }
      group.push(update)
      bytes += update.byteLength
    }
    if (group.length > 0)
      this.#sendUpdate(UPDATE, group.length === 1 ? group[0]! : Y.mergeUpdates(group), true)
    if (this.#awarenessHeld && this.awareness) {
      this.#awarenessHeld = false
      this.#sendAwareness(encodeAwarenessUpdate(this.awareness, [this.doc.clientID]))
    }
  }

  /** Offline, the other users' carets and names would go stale: they come back with the resync. */
  #dropRemoteAwareness(): void {
    const awareness = this.awareness
    if (awareness === undefined) return
    const others = [...awareness.getStates().keys()].filter((id) => id !== this.doc.clientID)
    if (others.length === 0) return
    removeAwarenessStates(awareness, others, this)
    // Their clocks go too: the room's states come back with the same clocks, which an Awareness
    // would take for news it has seen (and then show the users only at their next renewal).
    for (const id of others) awareness.meta.delete(id)
  }

  #resync(): void {
    if (this.#destroyed) return
    this.#setStatus('connected')
    this.#outgoing = []
    // The answers to what was on the wire are lost with the old connection; the sync covers those
    // updates. Held ones go out again once synced (the room may have applied and not sequenced them).
    this.#sent.clear()
    clearTimeout(this.#resendTimer)
    this.#resendTimer = undefined
    // After a refusal for good, what was held never reached the room: the sync's step 2 carries it.
    if (this.#stalled) {
      this.#stalled = false
      this.#held = []
    }
    this.#send('yjs_sync', syncMessage(STEP_1, Y.encodeStateVector(this.doc)))
    const awareness = this.awareness
    if (awareness?.getLocalState() != null) {
      this.#awarenessHeld = false
      // When the old connection went, the room told the others our state was removed, with the
      // clock after ours: a state they would take again needs a clock past that one.
      const meta = awareness.meta.get(this.doc.clientID)
      if (meta !== undefined) meta.clock++
      awareness.setLocalState(awareness.getLocalState()) // one more tick; sent by #onAwarenessUpdate
    }
  }

  #onFrame(frame: Record<string, unknown>): void {
    if (frame.roomId !== this.roomId || this.#destroyed) return
    const data = frame.data
    switch (frame.type) {
      case 'yjs_update':
        if (!(frame.update instanceof Uint8Array)) return
        if (this.#sent.size > 0) this.#confirm('update', frame.update)
        Y.applyUpdate(this.doc, frame.update, this)
        return
      case 'yjs_awareness':
        if (!(data instanceof Uint8Array)) return
        if (this.#sent.size > 0) this.#confirm('awareness', data)
        if (this.awareness) applyAwarenessUpdate(this.awareness, data, this)
        return
      case 'yjs_sync': {
        if (!(data instanceof Uint8Array)) return
        const decoder = decoding.createDecoder(data)
        const kind = decoding.readVarUint(decoder)
        const payload = decoding.readVarUint8Array(decoder)
        if (kind === STEP_1) {
          // What the room lacks: edits made while offline, or not acknowledged before a restart.
          const missing = Y.encodeStateAsUpdate(this.doc, payload)
          if (!isEmptyUpdate(missing)) this.#sendUpdate(STEP_2, missing)
          this.#setSynced(true)
          if (this.#held.length > 0 || this.#awarenessHeld) this.#resend()
        } else if (kind === STEP_2 || kind === UPDATE) {
          Y.applyUpdate(this.doc, payload, this)
        }
        return
      }
    }
  }

  #onDocUpdate = (update: Uint8Array, origin: unknown): void => {
    // Remote edits, and local ones made while not synced (the next sync sends those).
    if (origin === this || !this.synced) return
    // Behind a refused update, nothing overtakes it: the room would lack its base.
    if (this.#held.length > 0) {
      this.#held.push(update)
      return
    }
    this.#outgoing.push(update)
    // One frame per turn of the event loop, however many transactions it had.
    if (this.#outgoing.length === 1) {
      queueMicrotask(() => {
        const updates = this.#outgoing
        this.#outgoing = []
        if (updates.length === 0 || !this.synced) return
        const merged = updates.length === 1 ? updates[0]! : Y.mergeUpdates(updates)
        if (this.#held.length > 0) this.#held.push(merged)
        else this.#sendUpdate(UPDATE, merged)
      })
    }
  }

  #onAwarenessUpdate = (
    changes: { added: number[]; updated: number[]; removed: number[] },
    origin: unknown,
  ): void => {
    if (origin === this || this.awareness === undefined || this.status !== 'connected') return
    // Only this client's own state: the room refuses changes to other members' states (the
    // Awareness drops remote states that went silent on its own, which is no news for the room).
    const id = this.doc.clientID
    if (changes.added.includes(id) || changes.updated.includes(id) || changes.removed.includes(id))
      this.#sendAwareness(encodeAwarenessUpdate(this.awareness, [id]))
  }
}
