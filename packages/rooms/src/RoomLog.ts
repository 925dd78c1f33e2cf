import type { OutgoingFrame } from './defineRoom.js'

/** Where a room's log stands: its epoch and the last assigned offset (0 when empty). */
export interface LogPosition {
  epoch: string
  offset: number
}

/**
 * Options of one `publish`. `key` makes it idempotent: a publish whose key the log saw in the
 * room within its resend window (default 60 s) is not sequenced again; it answers the position
 * the first one got and delivers nothing. The server uses `<connection id>:<frame id>`, so a
 * client that sends a message again after `UNAVAILABLE` (with the same id) never gets it twice.
 */
export interface PublishOptions {
  key?: string
}

/** A frame the log sequenced: the published frame with the offset the log gave it. */
export type SequencedFrame = OutgoingFrame & { offset: number }

/** What `read` answers. */
export interface LogRead {
  /**
   * Oldest first. Without `since`: the last `limit` frames. With `since` and `recovered: true`:
   * exactly the frames after it (as many as the log keeps). With `recovered: false`: the last
   * `limit` frames, so a client can repaint.
   */
  messages: SequencedFrame[]
  /** The room's position when it was read. */
  top: LogPosition
  /**
   * With `since`: true when `messages` are exactly the frames after it; false when some of them
   * are gone or the epoch differs. Without `since`: always true.
   */
  recovered: boolean
}

/**
 * Receives each sequenced frame of a room on this node, the publisher's own included, in offset
 * order. Called synchronously by the in-memory log (inside `publish`), from a subscription by a
 * shared one (Redis). It must not throw; it is the node's fan-out, not application code.
 */
export type LogListener = (roomId: string, frame: SequencedFrame) => void

/**
 * Told that a room open on this node lost its data in a shared store (a new `epoch`, e.g. Redis
 * restarted without persistence), before any frame of the new epoch is delivered.
 */
export type LogResetListener = (roomId: string, epoch: string) => void

/**
 * A room's ordered, replayable message log, shaped after centrifuge's broker: `publish`
 * assigns the offset, appends and delivers in one step, so every node (the publisher included)
 * sees one order. The epoch changes only when the store lost the room's data. Signatures are
 * `T | Promise<T>`: the in-memory log stays synchronous (the hot path never awaits), a Redis log
 * can be asynchronous.
 */
export interface RoomLog {
  /**
   * True when other nodes publish to the same rooms through this log (a Redis log): each node
   * then runs its own copy of a room, which only `shared` behaviours allow. Default false.
   */
  readonly shared?: boolean
  /**
   * Starts delivering the room's frames to `listener` (one listener per room per node) and
   * answers the room's position. The position is read after the listener is in place, so
   * nothing published after it is missed. Opening again with the same listener (a restarted
   * room actor) keeps one listener and answers the position.
   */
  open(roomId: string, listener: LogListener): LogPosition | Promise<LogPosition>
  /**
   * Assigns the next offset, appends, and delivers the frame to every open listener of the
   * room; answers the frame's position. The frame is stored as given plus `offset`. With a
   * `key` seen recently in the room (see `PublishOptions`), answers that publish's position instead.
   */
  publish(roomId: string, frame: OutgoingFrame, options?: PublishOptions): LogPosition | Promise<LogPosition>
  /** Recent frames, or recovery after `since` (see `LogRead`). `limit` is at least 1. */
  read(roomId: string, options: { since?: LogPosition; limit: number }): LogRead | Promise<LogRead>
  /**
   * `listener` no longer wants the room's frames (its room actor stopped). This never discards
   * shared data; a node-local log may forget a room nobody has open, and then opens it next
   * time with a new epoch (it lost the data, and says so).
   */
  close(roomId: string, listener: LogListener): void | Promise<void>
  /**
   * A shared log whose store can lose a room's data under open listeners (Redis) calls `listener`
   * when that happens; answers a function that removes it. Members of such a room are told to
   * join it afresh (`ROOM_RESET`). Logs that cannot lose data under a listener leave it out.
   */
  onReset?(listener: LogResetListener): () => void
}
