import type { UpgradeRequest } from '@hubbub/transport'
import { errors, type JWTPayload, type JWTVerifyOptions, jwtVerify } from 'jose'
import { AuthError } from './AuthError.js'
import { hmacKey } from './hmacKey.js'
import type { AuthHook, Identity } from './Identity.js'
import { tokenFromRequest } from './tokenFromRequest.js'

export interface HmacAuthOptions {
  /** The shared HS256 secret (use at least 32 random bytes). */
  secret: string | Uint8Array
  /** When set, the token's `iss` must equal it. */
  issuer?: string
  /** When set, the token's `aud` must contain it. */
  audience?: string
  /** Seconds of clock skew allowed on `exp`/`nbf`/`iat`. Default 0. */
  clockToleranceSec?: number
  /** Longest accepted `name` claim after trimming (docs/PROTOCOL.md usernames). Default 32. */
  maxNameLength?: number
  authorizeJoin?: (identity: Identity, roomId: string) => boolean | Promise<boolean>
}

// Claims that become Identity fields; everything else is kept in `claims`.
const MAPPED = new Set(['sub', 'name', 'org', 'orgId'])
// C0, DEL and C1 controls: never part of a displayed name.
const CONTROL = /\p{Cc}/u

/**
 * The built-in token auth: an HS256 JWT whose `sub` is the user id, `name` the
 * display name (default: `sub`) and `org` (or `orgId`) the organisation.
 * `exp`, when present, is enforced at the upgrade and exposed as `expiresAt`.
 */
export function hmacAuth(options: HmacAuthOptions): AuthHook {
  const key = hmacKey(options.secret)
  const verifyOptions = jwtVerifyOptions(options, ['HS256'])
  return jwtAuthHook((token) => jwtVerify(token, key, verifyOptions), options)
}

/** What `jwtVerify` is told besides the key: algorithms, clock tolerance, issuer, audience. */
export function jwtVerifyOptions(
  options: Pick<HmacAuthOptions, 'clockToleranceSec' | 'issuer' | 'audience'>,
  algorithms: string[],
): JWTVerifyOptions {
  return {
    algorithms,
    clockTolerance: options.clockToleranceSec ?? 0,
    ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
    ...(options.audience === undefined ? {} : { audience: options.audience }),
  }
}

/** An AuthHook around a JWT check: the token from the request, verified, mapped to an `Identity`. */
export function jwtAuthHook(
  verify: (token: string) => Promise<{ payload: JWTPayload }>,
  options: Pick<HmacAuthOptions, 'maxNameLength' | 'authorizeJoin'>,
): AuthHook {
  const maxNameLength = options.maxNameLength ?? 32
  const authenticate = async (req: UpgradeRequest): Promise<Identity> => {
    const token = tokenFromRequest(req)
    if (token === undefined) throw new AuthError('missing', 'no bearer token in the request')
    let payload: JWTPayload
    try {
      payload = (await verify(token)).payload
    } catch (cause) {
      if (cause instanceof errors.JWTExpired) throw new AuthError('expired', 'token expired', { cause })
      throw new AuthError('invalid', `invalid token: ${(cause as Error).message}`, { cause })
    }
    return identityFromPayload(payload, maxNameLength)
  }

  const hook: AuthHook = { authenticate }
  if (options.authorizeJoin) hook.authorizeJoin = options.authorizeJoin
  return hook
}

function identityFromPayload(payload: JWTPayload, maxNameLength: number): Identity {
  const { sub } = payload
  if (typeof sub !== 'string' || sub.length === 0) throw new AuthError('invalid', 'token has no `sub` claim')
  const rawName = payload.name === undefined ? sub : payload.name
  if (typeof rawName !== 'string') throw new AuthError('invalid', 'token `name` claim is not a string')
  const name = rawName.trim()
  if (name.length === 0 || name.length > maxNameLength || CONTROL.test(name)) {
    throw new AuthError(
      'invalid',
      `token name must be 1–${maxNameLength} characters without control characters`,
    )
  }
  const org = payload.org ?? payload.orgId
  if (org !== undefined && (typeof org !== 'string' || org.length === 0)) {
    throw new AuthError('invalid', 'token `org` claim is not a non-empty string')
  }

  const identity: Identity = { userId: sub, name }
  if (org !== undefined) identity.orgId = org
  const claims: Record<string, unknown> = {}
  let hasClaims = false
  for (const [k, v] of Object.entries(payload)) {
    if (MAPPED.has(k)) continue
    // defineProperty: a `__proto__` claim stays a plain own property, never a prototype.
    Object.defineProperty(claims, k, { value: v, enumerable: true, writable: true, configurable: true })
    hasClaims = true
  }
  if (hasClaims) identity.claims = claims
  if (typeof payload.exp === 'number') identity.expiresAt = payload.exp * 1000
  return identity
}
