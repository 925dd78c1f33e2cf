/** Why the uWebSockets.js transport failed. */
export type UwsTransportErrorCode =
  | 'UWS_MISSING'
  | 'UWS_FALLBACK'
  | 'LISTEN_FAILED'
  /** An option uWebSockets.js cannot honour, such as `server` (attach mode). */
  | 'UNSUPPORTED_OPTION'

/** The one error class of `@hubbub/transport-uws`; the original error, if any, is kept as `cause`. */
export class UwsTransportError extends Error {
  override readonly name = 'UwsTransportError'
  readonly code: UwsTransportErrorCode

  constructor(code: UwsTransportErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }

  static fromUnknown(err: unknown): UwsTransportError {
    if (err instanceof UwsTransportError) return err
    return new UwsTransportError('LISTEN_FAILED', err instanceof Error ? err.message : String(err), {
      cause: err,
    })
  }
}
