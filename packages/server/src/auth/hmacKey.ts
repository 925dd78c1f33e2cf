import { ServerError } from '../ServerError.js'

/** The HS256 key bytes of a secret; a missing or empty secret is a configuration error, not a weak key. */
export function hmacKey(secret: string | Uint8Array): Uint8Array {
  // Plain-JS callers and unset environment variables get here with undefined.
  if (typeof secret !== 'string' && !(secret instanceof Uint8Array)) {
    throw new ServerError(
      'invalid_options',
      `the HMAC secret is missing (got ${secret === null ? 'null' : typeof secret}): pass a non-empty string or Uint8Array; is the environment variable you read it from (process.env.…) set?`,
    )
  }
  const key = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret
  if (key.byteLength === 0) {
    throw new ServerError('invalid_options', 'the HMAC secret is empty: pass at least 32 random bytes')
  }
  return key
}
