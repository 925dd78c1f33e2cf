import type { AnyRef, GenServerRef, TimerRef } from '@hubbub/actor'
import type { ErrorCode } from '@hubbub/protocol'
import type { RoomBehaviour, RoomUser, ScheduledMessage } from './defineRoom.js'
import type { PresenceDiff, PresenceEntry } from './PresenceStore.js'
import type { RoomEnvironment } from './RoomEnvironment.js'
import type { SequencedFrame } from './RoomLog.js'
import { type RoomMember, roomBinaryTopic, roomTopic } from './RoomMember.js'

export interface JoinRequest {
  member: RoomMember
  since?: { offset: number; epoch: string } | undefined
  replyTo?: string | undefined
}

export type RoomReply = { ok: true } | { ok: false; code: ErrorCode; message: string }

export type RoomCall =
  | ({ type: 'join' } & JoinRequest)
  | { type: 'leave'; member: RoomMember; replyTo?: string | undefined }
  | { type: 'position' }

export type RoomCast =
  | { type: 'message'; member: RoomMember; text: string; replyTo?: string | undefined }
  | { type: 'typing'; member: RoomMember; isTyping: boolean }
  | {
      type: 'custom'
      member: RoomMember
      frame: { type: string } & Record<string, unknown>
      replyTo?: string | undefined
      /**
       * False when the frame's body has not been checked against this room's schema for its type
       * (the server does that for types only one behaviour defines): the room checks it then.
       */
      checked?: boolean
    }
  /** A chat message from the server itself (HTTP broadcast, `server.broadcast`): sequenced like any. */
  | { type: 'announce'; from: string; text: string }
  /**
   * The member's connection ended (closed or crashed). Sent by the server from its exit
   * hook instead of a monitor per membership, which keeps idle connections small.
   */
  | { type: 'member_down'; member: RoomMember }
  /** Users came or went through another node (or a dead node was dropped): tell the local members. */
  | { type: 'presence'; diff: PresenceDiff }
  /** A `follows` room: a sequenced frame of the room (from any node) to apply with `replay`. */
  | { type: 'sequenced'; frame: SequencedFrame }
  /** A `follows` room: the log lost the room's data and goes on in `epoch` from offset 0. */
  | { type: 'log_reset'; epoch: string }

export type RoomInfo =
  | { type: 'idle'; generation: number }
  | { type: 'presence_tick' }
  /** The room's presence window closed: send its `presence_diff`. */
  | { type: 'presence_flush' }
  /** A room timer fired (`key` and `id` for keyed ones; `due`: when it was due, `Date.now()`). */
  | { type: 'scheduled'; message: ScheduledMessage; due: number; key?: string; id?: number }
  /** A dropped member's presence grace is over (`connection`: its entry's connection id). */
  | { type: 'grace_end'; connection: string }

/** A user's change waiting in the room's presence window, and the snapshot count when it came. */
export interface PendingPresence {
  readonly joined: boolean
  readonly snapshots: number
}

/** A keyed room timer (see `schedule`). */
export interface RoomTimer {
  readonly id: number
  ref: TimerRef
  readonly message: ScheduledMessage
  readonly ms: number
  readonly every: boolean
  /** When the pending firing is due (`Date.now()`). */
  due: number
}

/** The presence entry of a member whose connection dropped, held for its grace. */
export interface Lingering {
  readonly entry: PresenceEntry
  readonly user: RoomUser
  readonly timer: TimerRef
}

export type RoomRef = GenServerRef<
  RoomCall,
  RoomCast,
  RoomReply | { epoch: string; offset: number },
  RoomInfo
>

/** A room's private state; mutated in place by its own actor only (the log listener only reads it). */
export class RoomState {
  readonly topic: string
  readonly binaryTopic: string
  readonly members = new Map<AnyRef, RoomMember>()
  binaryMembers = 0
  users = 0
  /**
   * The log offset a snapshot of the state reflects: the highest this room has seen (its own
   * publishes and its open), or in a `follows` room the last frame applied with `replay`.
   */
  offset = 0
  /** The log epoch `offset` counts in. */
  epoch = ''
  /**
   * A shared room that persists with `replay`: its state follows the log, so every node's copy
   * applies every sequenced frame of the room (its own publishes included: `replay` must take a
   * frame whose effect the state already has, as a Yjs update).
   */
  readonly follows: boolean
  behaviourState: unknown
  idleGeneration = 0
  idleTimer: TimerRef | undefined = undefined
  presenceSentAt = 0
  presenceSentCount = -1
  presenceTimer: TimerRef | undefined = undefined
  /** The behaviour's keyed timers, by key. */
  readonly timers = new Map<string, RoomTimer>()
  timerSeq = 0
  /** Presence changes waiting for the window's `presence_diff`: user name → joined (true) or left. */
  presenceBatch: Map<string, PendingPresence> | undefined = undefined
  presenceBatchTimer: TimerRef | undefined = undefined
  /** Whether a change came since the window timer was set: the window was busy, so the next one is longer. */
  presenceWindowBusy = false
  /** The room's current burst window (0: none, `presenceBatchMs`): doubles while windows keep filling. */
  presenceWindowMs = 0
  /** The room's user count after the last change in the window (what its diff says). */
  presenceBatchCount = 0
  /** Bumped whenever a joiner takes its snapshot of the users: changes from before it never cancel out. */
  snapshots = 0
  /** Dropped members still present (their grace), by connection id. */
  readonly lingering = new Map<string, Lingering>()

  constructor(
    readonly roomId: string,
    readonly env: RoomEnvironment,
    readonly behaviour: RoomBehaviour,
    readonly self: RoomRef,
  ) {
    this.follows = behaviour.placement === 'shared' && behaviour.persist === true && !!behaviour.replay
    this.topic = roomTopic(roomId)
    this.binaryTopic = roomBinaryTopic(roomId)
  }

  /** The topic this member is subscribed to (its encoding's). */
  topicOf(member: RoomMember): string {
    return member.binary && this.env.encodeBinary ? this.binaryTopic : this.topic
  }
}
