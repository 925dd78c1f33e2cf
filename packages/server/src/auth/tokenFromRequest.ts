import type { UpgradeRequest } from '@hubbub/transport'
import { isTokenProtocol, TOKEN_PROTOCOL_PREFIX } from './tokenProtocol.js'

const BEARER = /^bearer\s+(\S+)\s*$/i

/**
 * The bearer token of an upgrade request, looked up in this order:
 * `Authorization: Bearer <jwt>`, a `hubbub.token.<jwt>` subprotocol entry, `?token=<jwt>`.
 * The query string is last because URLs end up in access logs.
 */
export function tokenFromRequest(req: UpgradeRequest): string | undefined {
  const header = req.headers.authorization
  if (header !== undefined) {
    const match = BEARER.exec(header)
    if (match?.[1]) return match[1]
  }
  for (const protocol of req.protocols) {
    if (isTokenProtocol(protocol) && protocol.length > TOKEN_PROTOCOL_PREFIX.length) {
      return protocol.slice(TOKEN_PROTOCOL_PREFIX.length)
    }
  }
  const query = req.query.get('token')
  return query ? query : undefined
}
