import { createHash, timingSafeEqual } from 'node:crypto'

const BEARER = /^bearer\s+(\S+)\s*$/i
const digest = (s: string) => createHash('sha256').update(s).digest()

/**
 * True when the Authorization header is `Bearer <secret>`. Both sides are
 * hashed first so the comparison is constant-time and leaks no length.
 */
export function bearerMatches(header: string | undefined, secret: string): boolean {
  const token = header === undefined ? undefined : BEARER.exec(header)?.[1]
  if (token === undefined) return false
  return timingSafeEqual(digest(token), digest(secret))
}
