/** node's default `--max-http-header-size`: the same bound on both transports. */
export const maxHeaderBytes = 16 * 1024

const websocketKey = /^[+/0-9A-Za-z]{21}[AQgw]==$/

/**
 * The answer the `ws` adapter (node's parser and ws's handshake checks) gives to a
 * malformed WebSocket request, for the ones uWS would otherwise accept (a bad
 * version, oversized headers) or route to plain HTTP (no key, not GET): 405 for a
 * method other than GET, 431 for headers over 16 KiB, 400 for a missing or invalid
 * `Sec-WebSocket-Key` or a version other than 13. Undefined: nothing wrong here.
 */
export function upgradeRefusal(
  method: string,
  requestLineBytes: number,
  headers: Readonly<Record<string, string>>,
): number | undefined {
  if (method !== 'GET') return 405
  let bytes = requestLineBytes
  for (const key in headers) bytes += key.length + (headers[key] as string).length + 4
  if (bytes > maxHeaderBytes) return 431
  if (!websocketKey.test(headers['sec-websocket-key'] ?? '')) return 400
  if (headers['sec-websocket-version'] !== '13') return 400
  return undefined
}

/** True for a request that asks for a WebSocket (uWS hands those without a valid key to plain HTTP). */
export function asksForWebSocket(headers: Readonly<Record<string, string>>): boolean {
  return (headers.upgrade ?? '').toLowerCase() === 'websocket'
}
