import type { Client, Room } from '@hubbub/client'
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

export type ProviderStatus = 'connecting' | 'connected' | 'disconnected'

export interface HubbubYjsProviderOptions {
  /** The y-protocols awareness of this document (cursors, selections, names): shared with the room. */
  awareness?: Awareness
  /** Name to join with, for an anonymous connection's first room. */
  username?: string
}

type Listener<T> = (value: T) => void

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
 * reconnect, so nothing is sent twice or lost. Events: `sync` (true once the room's document is
 * in), `status` (`connecting`, `connected`, `disconnected`).
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
  #destroyed = false

  constructor(client: Client, roomId: string, doc: Y.Doc, options: HubbubYjsProviderOptions = {}) {
    this.client = client
    this.roomId = roomId
    this.doc = doc
    this.awareness = options.awareness
    doc.on('update', this.#onDocUpdate)
    this.awareness?.on('update', this.#onAwarenessUpdate)
    this.#offs.push(
      client.on('state', (state) => {
        if (state === 'open') return // the room's rejoin (its history) starts the sync
        this.#setSynced(false)
        this.#setStatus(state === 'closed' || state === 'reconnecting' ? 'disconnected' : 'connecting')
      }),
      client.on('custom', (frame) => this.#onFrame(frame as unknown as Record<string, unknown>)),
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
  on(type: string, listener: Listener<any>): () => void {
    let set = this.#listeners.get(type)
    if (!set) {
      set = new Set()
      this.#listeners.set(type, set)
    }
    set.add(listener)
    return () => set.delete(listener)
  }

  /** Stops syncing: removes this client's awareness state and leaves the room. */
  destroy(): void {
    if (this.#destroyed) return
    this.#destroyed = true
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

  #send(type: 'yjs_sync' | 'yjs_awareness', data: Uint8Array): void {
    this.client.send({ type, roomId: this.roomId, data } as never)
  }

  #resync(): void {
    if (this.#destroyed) return
    this.#setStatus('connected')
    this.#outgoing = []
    this.#send('yjs_sync', syncMessage(STEP_1, Y.encodeStateVector(this.doc)))
    const awareness = this.awareness
    if (awareness?.getLocalState() != null) {
      this.#send('yjs_awareness', encodeAwarenessUpdate(awareness, [this.doc.clientID]))
    }
  }

  #onFrame(frame: Record<string, unknown>): void {
    if (frame.roomId !== this.roomId || this.#destroyed) return
    const data = frame.data
    switch (frame.type) {
      case 'yjs_update':
        if (frame.update instanceof Uint8Array) Y.applyUpdate(this.doc, frame.update, this)
        return
      case 'yjs_awareness':
        if (this.awareness && data instanceof Uint8Array) applyAwarenessUpdate(this.awareness, data, this)
        return
      case 'yjs_sync': {
        if (!(data instanceof Uint8Array)) return
        const decoder = decoding.createDecoder(data)
        const kind = decoding.readVarUint(decoder)
        const payload = decoding.readVarUint8Array(decoder)
        if (kind === STEP_1) {
          // What the room lacks: edits made while offline, or not acknowledged before a restart.
          this.#send('yjs_sync', syncMessage(STEP_2, Y.encodeStateAsUpdate(this.doc, payload)))
          this.#setSynced(true)
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
    this.#outgoing.push(update)
    // One frame per turn of the event loop, however many transactions it had.
    if (this.#outgoing.length === 1) {
      queueMicrotask(() => {
        const updates = this.#outgoing
        this.#outgoing = []
        if (updates.length === 0 || !this.synced) return
        const merged = updates.length === 1 ? updates[0]! : Y.mergeUpdates(updates)
        this.#send('yjs_sync', syncMessage(UPDATE, merged))
      })
    }
  }

  #onAwarenessUpdate = (
    changes: { added: number[]; updated: number[]; removed: number[] },
    origin: unknown,
  ): void => {
    if (origin === this || this.awareness === undefined || this.status !== 'connected') return
    const changed = [...changes.added, ...changes.updated, ...changes.removed]
    this.#send('yjs_awareness', encodeAwarenessUpdate(this.awareness, changed))
  }
}
