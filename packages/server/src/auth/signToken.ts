import { SignJWT } from 'jose'
import { hmacKey } from './hmacKey.js'
import type { Identity } from './Identity.js'

export interface SignTokenOptions {
  /** Lifetime in seconds; sets `exp`. Default 3,600. */
  expiresInSec?: number
  issuer?: string
  audience?: string
}

/**
 * Signs an HS256 token that `hmacAuth` with the same secret accepts: `sub` =
 * userId, `name`, `org` = orgId, plus `identity.claims` (which cannot override those).
 */
export async function signToken(
  secret: string | Uint8Array,
  identity: Pick<Identity, 'userId' | 'name' | 'orgId' | 'claims'>,
  options: SignTokenOptions = {},
): Promise<string> {
  const { sub: _s, name: _n, org: _o, orgId: _oi, exp: _e, iat: _i, ...extra } = identity.claims ?? {}
  const payload: Record<string, unknown> = { ...extra, name: identity.name }
  if (identity.orgId !== undefined) payload.org = identity.orgId
  const jwt = new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(identity.userId)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (options.expiresInSec ?? 3600))
  if (options.issuer !== undefined) jwt.setIssuer(options.issuer)
  if (options.audience !== undefined) jwt.setAudience(options.audience)
  return jwt.sign(hmacKey(secret))
}
