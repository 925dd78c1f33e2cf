import { createRemoteJWKSet, jwtVerify } from 'jose'
import type { HmacAuthOptions } from './hmacAuth.js'
import { jwtAuthHook, jwtVerifyOptions } from './hmacAuth.js'
import type { AuthHook } from './Identity.js'

export interface JwksAuthOptions extends Omit<HmacAuthOptions, 'secret'> {
  /** Where the identity provider publishes its public keys (`https://…/.well-known/jwks.json`). */
  jwksUrl: string | URL
  /** Signature algorithms accepted. Default `['RS256']`. */
  algorithms?: string[]
  /** How long fetched keys are kept before they are fetched again. Default 600,000 ms (10 minutes). */
  cacheMaxAgeMs?: number
  /** How long one fetch of the key set may take. Default 5,000 ms. */
  timeoutMs?: number
}

/**
 * Token auth against an identity provider's public keys (RS256 by default): the token's `kid`
 * picks a key from the JWKS at `jwksUrl`, fetched on first use, kept for `cacheMaxAgeMs`
 * and fetched again for a `kid` it does not know (a rotated key). Claims map to the identity
 * as with `hmacAuth` (`sub`, `name`, `org`/`orgId`).
 */
export function jwksAuth(options: JwksAuthOptions): AuthHook {
  const keys = createRemoteJWKSet(new URL(options.jwksUrl), {
    cacheMaxAge: options.cacheMaxAgeMs ?? 600_000,
    timeoutDuration: options.timeoutMs ?? 5000,
  })
  const verifyOptions = jwtVerifyOptions(options, options.algorithms ?? ['RS256'])
  return jwtAuthHook((token) => jwtVerify(token, keys, verifyOptions), options)
}
