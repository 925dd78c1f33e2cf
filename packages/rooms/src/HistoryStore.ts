/** One chat message as history keeps it (the `message` frame without `type` and `roomId`). */
export interface StoredMessage {
  offset: number
  from: string
  text: string
  timestamp: number
}

/** Where a room's history stands: its epoch and the last assigned offset (0 when empty). */
export interface HistoryPosition {
  epoch: string
  offset: number
}

/** Answer to a `since` recovery request. */
export type Recovery = { recovered: true; messages: StoredMessage[] } | { recovered: false }

/**
 * Per-room message history with offsets and epochs. The room actor is the
 * sequencer: it assigns offsets and appends; the store keeps the tail.
 * Signatures are `T | Promise<T>` so the in-memory store stays synchronous
 * (the hot path never awaits) while a Redis store can be asynchronous.
 */
export interface HistoryStore {
  /**
   * Opens a room's history. `fresh: true` discards whatever is there and starts
   * a new epoch (the room restarted after a crash, so its tail cannot be trusted).
   */
  open(roomId: string, options: { fresh: boolean }): HistoryPosition | Promise<HistoryPosition>
  /** Appends one message; its offset is the room's last offset + 1. */
  append(roomId: string, message: StoredMessage): void | Promise<void>
  /** The last `limit` messages, oldest first. */
  recent(roomId: string, limit: number): StoredMessage[] | Promise<StoredMessage[]>
  /**
   * Exactly the messages after `position.offset` in `position.epoch`, or
   * `recovered: false` when the epoch changed or some of them are gone.
   */
  since(roomId: string, position: HistoryPosition): Recovery | Promise<Recovery>
  /** The room was stopped normally; the store may forget it. */
  close(roomId: string): void | Promise<void>
}
