/**
 * Browsers cannot set headers on a WebSocket, so a token may ride in the
 * subprotocol list: `new WebSocket(url, ['hubbub.v1.json', tokenProtocol(jwt)])`.
 * A JWT is base64url segments joined by dots, all legal subprotocol token chars.
 * The server never selects this entry; offer a real protocol beside it.
 */
export const TOKEN_PROTOCOL_PREFIX = 'hubbub.token.'

/** The subprotocol entry that carries `token`. */
export function tokenProtocol(token: string): string {
  return TOKEN_PROTOCOL_PREFIX + token
}

/** True for a subprotocol entry that carries a token; `selectProtocol` must skip these. */
export function isTokenProtocol(protocol: string): boolean {
  return protocol.startsWith(TOKEN_PROTOCOL_PREFIX)
}
