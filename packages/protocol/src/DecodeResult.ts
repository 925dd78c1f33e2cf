import type { CloseCode } from './CloseCode.js'

/** Why a frame was not accepted; `code` is what the `error` frame carries. */
export interface DecodeError {
  code: 'INVALID_JSON' | 'INVALID_MESSAGE' | 'UNKNOWN_MESSAGE'
  /** For INVALID_MESSAGE, starts with the failing field path, e.g. `roomId: …`. */
  message: string
  /** The failing field path, for INVALID_MESSAGE. */
  path?: (string | number)[]
  /** Set when the frame must also close the connection (1003 wrong frame kind, 1007 bad UTF-8, 1009 too large). */
  close?: CloseCode
  /** The client frame's `id` when it could be read, so the error frame can carry `replyTo`. */
  replyTo?: string
}

/** Decoders never throw: they return this instead. */
export type DecodeResult<F> = { ok: true; frame: F } | { ok: false; error: DecodeError }
