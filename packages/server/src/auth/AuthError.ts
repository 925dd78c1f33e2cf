/**
 * Why a credential was refused. Through the server, every code answers with an `UNAUTHORIZED` error frame
 * (carrying the message) and close 4401; as a bare transport `authenticate` hook, with 401 at the upgrade.
 */
export const AuthErrorCode = {
  /** No token in the Authorization header, the subprotocol list, or `?token=`. */
  missing: 'missing',
  /** Malformed, wrong signature, wrong algorithm, issuer or audience, or unusable claims. */
  invalid: 'invalid',
  /** `exp` has passed (beyond the clock tolerance). */
  expired: 'expired',
} as const

export type AuthErrorCode = (typeof AuthErrorCode)[keyof typeof AuthErrorCode]

export class AuthError extends Error {
  override readonly name = 'AuthError'
  readonly code: AuthErrorCode

  constructor(code: AuthErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }

  static is(value: unknown): value is AuthError {
    return value instanceof AuthError
  }
}
