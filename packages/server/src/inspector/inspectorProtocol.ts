import { createHash, timingSafeEqual } from 'node:crypto'

/** Subprotocol entry that carries the inspector secret: `hubbub.inspector.<base64url(secret)>`. */
export const INSPECTOR_PROTOCOL_PREFIX = 'hubbub.inspector.'

export const isInspectorProtocol = (p: string): boolean => p.startsWith(INSPECTOR_PROTOCOL_PREFIX)

/** The subprotocol entry a client offers to open an inspector connection. */
export function inspectorProtocol(secret: string): string {
  return INSPECTOR_PROTOCOL_PREFIX + Buffer.from(secret, 'utf8').toString('base64url')
}

const digest = (s: string) => createHash('sha256').update(s).digest()

/**
 * What the offered subprotocols say about the inspector: `'none'` (no inspector entry),
 * `'valid'` (one carries `secret`), `'invalid'` (an entry with another secret, or no inspector
 * configured). Compared through hashes, in constant time.
 */
export function inspectorCredential(
  offered: readonly string[],
  secret: string | undefined,
): 'none' | 'valid' | 'invalid' {
  const entry = offered.find(isInspectorProtocol)
  if (entry === undefined) return 'none'
  if (secret === undefined) return 'invalid'
  let given: string
  try {
    given = Buffer.from(entry.slice(INSPECTOR_PROTOCOL_PREFIX.length), 'base64url').toString('utf8')
  } catch {
    return 'invalid'
  }
  return timingSafeEqual(digest(given), digest(secret)) ? 'valid' : 'invalid'
}
