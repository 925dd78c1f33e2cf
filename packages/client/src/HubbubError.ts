import type { ErrorCode } from '@hubbub/protocol'

/**
 * Codes the client raises itself, beside the server's `ErrorCode`s:
 * QUEUE_FULL (offline queue at its bound), DISCONNECTED (the link dropped before the
 * server confirmed and the outcome cannot be proven), CLOSED (`client.close()` or a final close),
 * INVALID_FRAME (a server frame failed the runtime checks).
 */
export type ClientErrorCode = 'QUEUE_FULL' | 'DISCONNECTED' | 'CLOSED' | 'INVALID_FRAME'

export type HubbubErrorCode = ErrorCode | ClientErrorCode

/** The client's one error class: `code` is the server's error code or one of the client's own. */
export class HubbubError extends Error {
  override name = 'HubbubError'
  readonly code: HubbubErrorCode
  /** For a server error about one of this client's frames: that frame's `id` (what `send` returned). */
  readonly replyTo?: string

  constructor(
    code: HubbubErrorCode,
    message: string,
    options?: { cause?: unknown; replyTo?: string | undefined },
  ) {
    super(message, options)
    this.code = code
    if (options?.replyTo !== undefined) this.replyTo = options.replyTo
  }

  /** Normalises anything thrown into a `HubbubError` (the original kept as `cause`). */
  static fromUnknown(error: unknown, code: HubbubErrorCode = 'INTERNAL'): HubbubError {
    if (error instanceof HubbubError) return error
    return new HubbubError(code, error instanceof Error ? error.message : String(error), { cause: error })
  }
}
