/** Why a `RedisRoomLog` call failed. */
export type RedisLogErrorCode =
  /** Redis could not be reached, or did not answer: nothing was sequenced (or it is unknown). Retryable. */
  | 'UNAVAILABLE'
  /** Redis answered with an error (a wrong key type, out of memory…). */
  | 'REDIS_ERROR'
  /** A constructor option is out of range. */
  | 'INVALID_OPTIONS'

/** The one error class of the Redis room log; the underlying error is kept as `cause`. */
export class RedisLogError extends Error {
  override readonly name = 'RedisLogError'
  constructor(
    readonly code: RedisLogErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }

  /** True when trying again later may succeed. */
  get retryable(): boolean {
    return this.code === 'UNAVAILABLE'
  }
}
