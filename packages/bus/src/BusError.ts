/** Every way the bus refuses a call; a closed union so callers can switch on it. */
export type BusErrorCode =
  | 'INVALID_TOPIC'
  | 'INVALID_PATTERN'
  | 'INVALID_OPTIONS'
  | 'INVALID_HANDLER'
  | 'ADAPTER_ATTACHED'
  | 'DECODE_FAILED'
  | 'CLOSED'

/** The one error class of `@hubbub/bus`: a `code` to branch on, the original error kept as `cause`. */
export class BusError extends Error {
  override readonly name = 'BusError'
  readonly code: BusErrorCode

  constructor(code: BusErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }

  /** Normalises anything thrown into a `BusError`, keeping the original as `cause`. */
  static fromUnknown(err: unknown, code: BusErrorCode = 'DECODE_FAILED'): BusError {
    if (err instanceof BusError) return err
    const message = err instanceof Error ? err.message : String(err)
    return new BusError(code, message, { cause: err })
  }
}
