import { defineRoom, type OutgoingFrame, type RoomBehaviour, type RoomContext } from '@hubbub/rooms'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'
import { z } from 'zod'
import { AwarenessTable, type HeldAwareness, readAwareness } from './awarenessTable.js'
import { checkUpdate, isEmptyUpdate } from './checkUpdate.js'

/** y-protocols sync message types. */
export const SYNC_STEP_1 = 0
export const SYNC_STEP_2 = 1
export const SYNC_UPDATE = 2

export interface YjsRoomOptions {
  /** Room name for logs and stats. Default 'yjs'. */
  name?: string
  /** Largest update (or sync step 2) a member may send, in bytes. Default 60,000 (under the 64 KiB frame limit). */
  maxUpdateBytes?: number
  /** Updates per second per user (all their connections), with `updateBurst`. Default 30. */
  updatesPerSecond?: number
  /** Default 60. */
  updateBurst?: number
  /** Largest awareness update, in bytes. Default 8,192. */
  maxAwarenessBytes?: number
  /** An awareness state not renewed for this long is removed (y-protocols clients renew every 15 s). Default 30,000. */
  awarenessTimeoutMs?: number
  /** Snapshots go to the RoomStateStore at most this often while the document changes, and when the last member leaves. Default 30,000. */
  snapshotMs?: number
  /**
   * Also a snapshot after this many updates. Keep it under what the room log retains (the
   * in-memory log's `historySize`, default 100): a restart replays the log after the snapshot,
   * and frames the log no longer has cannot be replayed. Default 50.
   */
  snapshotEveryUpdates?: number
}

/** The live document of one room incarnation. */
export class YjsRoomState {
  readonly doc: Y.Doc
  readonly awareness = new AwarenessTable()
  /** Updates applied since the last snapshot. */
  dirty = false
  updatesSinceSnapshot = 0
  /** Whether the snapshot and the awareness sweep timers run. */
  snapshotting = false
  sweeping = false
  /** Token buckets per user name. */
  readonly buckets = new Map<string, { tokens: number; at: number }>()
  /**
   * Updates this incarnation applied and published: when one comes back through the log (the same
   * bytes, from an in-process log) it is not applied a second time. Weak, so an update the log
   * never hands back is not kept.
   */
  readonly applied = new WeakSet<Uint8Array>()

  constructor(update?: Uint8Array, awareness?: { held: readonly HeldAwareness[]; since: number }) {
    this.doc = new Y.Doc({ gc: true })
    if (update !== undefined) Y.applyUpdate(this.doc, update)
    if (awareness !== undefined) this.awareness.load(awareness.held, awareness.since)
  }

  /** The document's text of a root `Y.Text` (for tests and inspection). */
  text(name = 'text'): string {
    return this.doc.getText(name).toString()
  }
}

/** What the RoomStateStore keeps: the document as one Yjs update, base64 (every store can keep text). */
export interface YjsSnapshot {
  format: 'yjs-update-v1'
  update: string
  /** The awareness states held when it was taken (a node starting from it has them at once). */
  awareness?: HeldAwareness[]
}

const bytes = z.instanceof(Uint8Array)

/** The frames of a Yjs room (bodies; `type`, `roomId` and `id` are added by the server). */
export const yjsMessages = {
  /** A y-protocols sync message: step 1 (a state vector), step 2 or an update. */
  yjs_sync: z.object({ data: bytes }),
  /** A y-protocols awareness update. */
  yjs_awareness: z.object({ data: bytes }),
}

type Message = { type: 'yjs_sync'; data: Uint8Array } | { type: 'yjs_awareness'; data: Uint8Array }
type Tick = { type: 'yjs_snapshot' } | { type: 'yjs_sweep' }

function syncMessage(kind: number, payload: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, kind)
  encoding.writeVarUint8Array(encoder, payload)
  return encoding.toUint8Array(encoder)
}

/** Reads bytes from a logged frame's field: bytes from an in-memory log, base64 or a byte array from a JSON one. */
function bytesOf(u: unknown): Uint8Array | undefined {
  if (u instanceof Uint8Array) return u
  if (typeof u === 'string') return Buffer.from(u, 'base64')
  if (Array.isArray(u)) return Uint8Array.from(u as number[])
  return undefined
}

/**
 * A room behaviour that hosts one Yjs document per room. Members speak the y-protocols sync
 * (step 1 / step 2 / update) and awareness protocols in `yjs_sync` and `yjs_awareness` frames with
 * binary payloads (the msgpack wire). Every accepted update is applied to the room's document and
 * sequenced through the room's log as a `yjs_update` frame that reaches every member once, the
 * sender's other tabs and the sender itself included (its copy, with its offset, is the
 * acknowledgement; Yjs ignores an update it already has). Snapshots go to the RoomStateStore,
 * tagged with the offset they cover; a restarted room loads the last one and replays the log after it.
 */
export function yjsRoom(options: YjsRoomOptions = {}): RoomBehaviour<YjsRoomState, typeof yjsMessages> & {
  /** The live state of each room this behaviour runs on this node (the newest incarnation). */
  readonly rooms: ReadonlyMap<string, YjsRoomState>
} {
  const maxUpdateBytes = options.maxUpdateBytes ?? 60_000
  const perSecond = options.updatesPerSecond ?? 30
  const burst = options.updateBurst ?? 60
  const maxAwarenessBytes = options.maxAwarenessBytes ?? 8192
  const awarenessTimeoutMs = options.awarenessTimeoutMs ?? 30_000
  const snapshotMs = options.snapshotMs ?? 30_000
  const snapshotEveryUpdates = options.snapshotEveryUpdates ?? 50
  const sweepMs = Math.max(50, Math.floor(awarenessTimeoutMs / 3))
  const rooms = new Map<string, YjsRoomState>()
  /** This instance (one per node): tags the awareness states its members sent. */
  const node = globalThis.crypto.randomUUID()

  const track = (roomId: string, state: YjsRoomState): YjsRoomState => {
    rooms.set(roomId, state)
    return state
  }

  /** Takes one token from the user's bucket; false when it is empty. */
  const allow = (state: YjsRoomState, user: string): boolean => {
    const now = Date.now()
    const b = state.buckets.get(user) ?? { tokens: burst, at: now }
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) * perSecond) / 1000)
    b.at = now
    state.buckets.set(user, b)
    if (b.tokens < 1) return false
    b.tokens--
    return true
  }

  const startTicks = (ctx: RoomContext<YjsRoomState>, state: YjsRoomState): void => {
    if (!state.snapshotting) ctx.schedule({ type: 'yjs_snapshot' }, snapshotMs)
    if (!state.sweeping) ctx.schedule({ type: 'yjs_sweep' }, sweepMs)
    state.snapshotting = state.sweeping = true
  }

  const onUpdate = (ctx: RoomContext<YjsRoomState>, state: YjsRoomState, update: Uint8Array): void => {
    const user = ctx.user!.name
    if (update.byteLength > maxUpdateBytes) {
      ctx.reject(
        'INVALID_MESSAGE',
        `yjs update of ${update.byteLength} bytes is over the room's limit of ${maxUpdateBytes}`,
      )
      return
    }
    if (!allow(state, user)) {
      ctx.reject(
        'RATE_LIMITED',
        `more than ${perSecond} yjs updates per second (burst ${burst}); this one was dropped`,
      )
      return
    }
    const refused = checkUpdate(state.doc, update)
    if (refused !== undefined) {
      ctx.reject('INVALID_MESSAGE', `yjs update refused: ${refused}`)
      return
    }
    if (isEmptyUpdate(update)) return
    try {
      Y.applyUpdate(state.doc, update, 'member')
    } catch (err) {
      // checkUpdate decoded it, so this is not expected; the document keeps what it had.
      ctx.reject('INVALID_MESSAGE', `yjs update refused: ${err instanceof Error ? err.message : String(err)}`)
      return
    }
    state.dirty = true
    state.applied.add(update)
    // Sequenced: stored with its offset, and relayed once to every member (sender included).
    ctx.publish({ type: 'yjs_update', roomId: ctx.roomId, update })
    // Effects apply in order: the snapshot is saved with the offset this update got.
    if (++state.updatesSinceSnapshot >= snapshotEveryUpdates) saveSnapshot(ctx, state)
  }

  const saveSnapshot = (ctx: RoomContext<YjsRoomState>, state: YjsRoomState): void => {
    state.dirty = false
    state.updatesSinceSnapshot = 0
    ctx.setState(state)
  }

  const onSync = (ctx: RoomContext<YjsRoomState>, state: YjsRoomState, data: Uint8Array): void => {
    let kind: number
    let payload: Uint8Array
    try {
      const decoder = decoding.createDecoder(data)
      kind = decoding.readVarUint(decoder)
      payload = decoding.readVarUint8Array(decoder)
    } catch {
      ctx.reject('INVALID_MESSAGE', 'yjs_sync: not a y-protocols sync message')
      return
    }
    if (kind === SYNC_STEP_1) {
      let diff: Uint8Array
      try {
        diff = Y.encodeStateAsUpdate(state.doc, payload)
      } catch {
        ctx.reject('INVALID_MESSAGE', 'yjs_sync: step 1 does not hold a state vector')
        return
      }
      // Step 2 (what the member lacks), then our step 1 (so the member sends what we lack).
      ctx.reply({ type: 'yjs_sync', roomId: ctx.roomId, data: syncMessage(SYNC_STEP_2, diff) })
      ctx.reply({
        type: 'yjs_sync',
        roomId: ctx.roomId,
        data: syncMessage(SYNC_STEP_1, Y.encodeStateVector(state.doc)),
      })
      const awareness = state.awareness.all()
      if (awareness !== undefined) ctx.reply({ type: 'yjs_awareness', roomId: ctx.roomId, data: awareness })
      return
    }
    if (kind === SYNC_STEP_2 || kind === SYNC_UPDATE) {
      onUpdate(ctx, state, payload)
      return
    }
    ctx.reject('INVALID_MESSAGE', `yjs_sync: unknown sync message type ${kind}`)
  }

  const onAwareness = (ctx: RoomContext<YjsRoomState>, state: YjsRoomState, data: Uint8Array): void => {
    if (data.byteLength > maxAwarenessBytes) {
      ctx.reject(
        'INVALID_MESSAGE',
        `awareness update of ${data.byteLength} bytes is over the room's limit of ${maxAwarenessBytes}`,
      )
      return
    }
    if (!allow(state, ctx.user!.name)) {
      ctx.reject(
        'RATE_LIMITED',
        `more than ${perSecond} yjs updates per second (burst ${burst}); this one was dropped`,
      )
      return
    }
    let refused: string | undefined
    try {
      refused = state.awareness.apply(ctx.user!.name, node, readAwareness(data, 64), Date.now())
    } catch (err) {
      refused = `not an awareness update (${err instanceof Error ? err.message : String(err)})`
    }
    if (refused !== undefined) {
      ctx.reject('INVALID_MESSAGE', `yjs_awareness refused: ${refused}`)
      return
    }
    // Sequenced like an update, so that every node's table holds every state (a member joining
    // on any node gets them all in its sync) and takes removals in order; a member ignores its own.
    publishAwareness(ctx, state, ctx.user!.name, data)
  }

  const publishAwareness = (
    ctx: RoomContext<YjsRoomState>,
    state: YjsRoomState,
    user: string,
    data: Uint8Array,
  ): void => {
    ctx.publish({ type: 'yjs_awareness', roomId: ctx.roomId, data, user, node, at: Date.now() })
    // Awareness frames take room in the log too: the snapshot keeps up, so that a restart never
    // needs updates the log no longer holds.
    if (++state.updatesSinceSnapshot >= snapshotEveryUpdates) {
      if (state.dirty) saveSnapshot(ctx, state)
      else state.updatesSinceSnapshot = 0
    }
  }

  /**
   * An awareness frame sequenced by any node (this one's own come back too, and are already
   * held): taken into this node's table with the time it was sent, so a state replayed after a
   * restart expires when it would have.
   */
  const replayAwareness = (state: YjsRoomState, frame: OutgoingFrame): YjsRoomState => {
    const data = bytesOf(frame.data)
    const { user, node: from, at } = frame as { user?: unknown; node?: unknown; at?: unknown }
    if (data === undefined || typeof user !== 'string' || typeof from !== 'string' || typeof at !== 'number')
      return state
    if (at < Date.now() - awarenessTimeoutMs) return state
    try {
      // Checked by the node that sequenced it; a state another member holds here is left alone.
      state.awareness.apply(user, from, readAwareness(data, 64), at)
    } catch {
      // Read by the node that sequenced it; a frame that still fails changes nothing.
    }
    return state
  }

  const behaviour = defineRoom<YjsRoomState, typeof yjsMessages>({
    name: options.name ?? 'yjs',
    messages: yjsMessages,
    placement: 'shared',
    persist: true,
    init: (roomId) => track(roomId, new YjsRoomState()),
    snapshot: (state): YjsSnapshot => ({
      format: 'yjs-update-v1',
      update: Buffer.from(Y.encodeStateAsUpdate(state.doc)).toString('base64'),
      awareness: state.awareness.dump(),
    }),
    restore: (saved, roomId) => {
      const snap = saved as Partial<YjsSnapshot> | undefined
      const update = typeof snap?.update === 'string' ? Buffer.from(snap.update, 'base64') : undefined
      const held = Array.isArray(snap?.awareness) ? snap.awareness : undefined
      const since = Date.now() - awarenessTimeoutMs
      return track(roomId, new YjsRoomState(update, held && { held, since }))
    },
    // On restore, and live for every update any node sequenced (a shared room that persists with
    // `replay` follows its log): each node's document converges. This node's own updates come
    // back too: from an in-process log as the very bytes applied, skipped; from another log
    // (decoded anew), applied again, which Yjs ignores as it has them already.
    replay: (state, frame) => {
      if (frame.type === 'yjs_awareness') return replayAwareness(state, frame)
      const update = frame.type === 'yjs_update' ? bytesOf(frame.update) : undefined
      if (update === undefined) return state
      if (state.applied.has(update)) {
        state.applied.delete(update)
        return state
      }
      try {
        Y.applyUpdate(state.doc, update, 'log')
        state.dirty = true
      } catch {
        // Checked by the node that sequenced it; a frame that still fails leaves the document as it was.
      }
      return state
    },
    onText: (ctx) => ctx.reject('UNKNOWN_MESSAGE', 'a Yjs room takes no chat messages'),
    onJoin: (ctx, state) => startTicks(ctx, state),
    onLeave: (ctx, state) => {
      // This node's states of the user (their tabs on other nodes keep theirs), removed on every node.
      const removed = state.awareness.expire({ user: ctx.user.name, node })
      if (removed !== undefined) publishAwareness(ctx, state, ctx.user.name, removed)
      state.buckets.delete(ctx.user.name)
      // The last one out: the room stops soon, so its document is saved now.
      if (ctx.members.every((m) => m === ctx.user.name) && state.dirty) saveSnapshot(ctx, state)
    },
    onMessage: (ctx, message, state) => {
      const m = message as Message | Tick
      switch (m.type) {
        case 'yjs_sync':
          return onSync(ctx, state, m.data)
        case 'yjs_awareness':
          return onAwareness(ctx, state, m.data)
        case 'yjs_snapshot':
          if (state.dirty) saveSnapshot(ctx, state)
          if (ctx.members.length > 0) ctx.schedule({ type: 'yjs_snapshot' }, snapshotMs)
          else state.snapshotting = false
          return
        case 'yjs_sweep': {
          const removed = state.awareness.expire({ before: Date.now() - awarenessTimeoutMs })
          if (removed !== undefined)
            ctx.broadcast({ type: 'yjs_awareness', roomId: ctx.roomId, data: removed })
          if (ctx.members.length > 0) ctx.schedule({ type: 'yjs_sweep' }, sweepMs)
          else state.sweeping = false
          return
        }
      }
    },
  })
  return Object.assign(behaviour, { rooms })
}
