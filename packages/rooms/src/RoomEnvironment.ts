import type { ActorSystem, Registry } from '@hubbub/actor'
import type { EventBus } from '@hubbub/bus'
import type { OutgoingFrame, RoomBehaviour } from './defineRoom.js'
import type { PresenceStore } from './PresenceStore.js'
import type { LogListener, RoomLog } from './RoomLog.js'
import type { RoomState } from './RoomState.js'
import type { RoomStateStore } from './RoomStateStore.js'

/** What one room learns about its surroundings; shared by every room of a node. */
export interface RoomEnvironment {
  readonly system: ActorSystem
  /** This node's id: presence entries carry it, and changes the feed reports from other nodes are announced here. */
  readonly nodeId: string
  /** Room id → room actor (unique keys); a room registers itself in `init`. */
  readonly registry: Registry
  /** Unsequenced room frames (presence, typing, behaviour broadcasts) are published here, encoded once. */
  readonly bus: EventBus<string | Uint8Array>
  /** Sequences, stores and delivers the room's `publish` frames (chat messages among them). */
  readonly log: RoomLog
  /** This node's listener on the log: the one fan-out of sequenced frames to local members. */
  readonly onSequenced: LogListener
  /** Hands one encoded frame to a topic's local subscribers (default: a bus publish). */
  deliver(topic: string, data: string | Uint8Array): void
  readonly presence: PresenceStore
  /** Snapshots of the state of behaviours that `persist`. */
  readonly state: RoomStateStore
  /** Behaviour of a room id. */
  behaviourFor(roomId: string): RoomBehaviour
  /** Per-user presence events up to this many users; `presence_count` beyond. */
  readonly presenceLimit: number
  /** Presence changes are merged for this long into one `presence_diff` (0: `user_joined` / `user_left` at once). */
  readonly presenceBatchMs: number
  /** The longest a window grows to while changes keep coming (never below `presenceBatchMs`). */
  readonly presenceBatchMaxMs: number
  /** Messages sent in `history` right after `joined`. */
  readonly historyOnJoin: number
  /** How long an empty room lives before it stops (0 = at once). */
  readonly emptyGraceMs: number
  /** JSON encoder of server frames (encoded once per frame). */
  encode(frame: OutgoingFrame): string
  /** msgpack encoder, when the server speaks `hubbub.v1.msgpack`. */
  readonly encodeBinary: ((frame: OutgoingFrame) => Uint8Array) | undefined
  readonly observer: RoomObserver
  /**
   * Rooms whose actor runs on this node, by id, or that crashed and are restarting (then the
   * entry is the lost incarnation's until the new one replaces it). A start that finds its id
   * here is a restart; the log listener reads the member counts of the entry to fan out.
   */
  readonly local: Map<string, RoomState | undefined>
}

/** Hooks for stats and metrics; all optional, all synchronous and cheap. */
export interface RoomObserver {
  /** Users and connections in a room changed. */
  members?(roomId: string, users: number, connections: number): void
  /** A frame was published to a room's topic for `connections` local connections. */
  published?(roomId: string, connections: number): void
  /** A room actor is starting (before its init can fail); each call is matched by one `exited`. */
  started?(roomId: string, restarted: boolean): void
  /** An orderly stop finished (`terminate` ran). */
  stopped?(roomId: string): void
  /** A room actor is gone, for whatever reason (also after a failed init). */
  exited?(roomId: string, crashed: boolean): void
  /** A store call failed outside a handler (a log publish on the hot path, a state save). */
  error?(roomId: string, err: unknown): void
}
