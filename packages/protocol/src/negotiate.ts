export const JSON_SUBPROTOCOL = 'hubbub.v1.json'
export const MSGPACK_SUBPROTOCOL = 'hubbub.v1.msgpack'
export type Subprotocol = typeof JSON_SUBPROTOCOL | typeof MSGPACK_SUBPROTOCOL

const everySubprotocol: readonly Subprotocol[] = [JSON_SUBPROTOCOL, MSGPACK_SUBPROTOCOL]

/**
 * Picks the subprotocol for a handshake from the client's offer, in the client's order of preference.
 * No offer at all means v1 JSON (plain browsers connect that way); only unknown offers mean `null`: refuse.
 * A server without msgpack passes `supported = ['hubbub.v1.json']`.
 */
export function negotiate(
  offered: readonly string[],
  supported: readonly Subprotocol[] = everySubprotocol,
): Subprotocol | null {
  if (offered.length === 0) return JSON_SUBPROTOCOL
  for (const raw of offered) {
    const name = raw.trim() as Subprotocol
    if (supported.includes(name)) return name
  }
  return null
}
