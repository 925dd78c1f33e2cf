/** WebSocket close codes the protocol uses, and why each is sent. */
export const CloseCode = {
  /** Normal closure. */
  NORMAL: 1000,
  /** Server going away, after a `SERVER_SHUTDOWN` error frame. */
  GOING_AWAY: 1001,
  /** Binary frame on the JSON subprotocol (or a text frame on msgpack). */
  UNSUPPORTED_DATA: 1003,
  /** Text frame that is not valid UTF-8. */
  INVALID_PAYLOAD: 1007,
  /** Policy: sustained rate abuse (a refused Origin never gets here: the upgrade answers 403). */
  POLICY_VIOLATION: 1008,
  /** Frame larger than `maxPayload`. */
  MESSAGE_TOO_BIG: 1009,
  /** The connection's own actor crashed; nobody else is affected. */
  INTERNAL_ERROR: 1011,
  /** Slow consumer under the `close` backpressure policy. */
  TRY_AGAIN_LATER: 1013,
  /**
   * The credential was refused when the connection opened (after an `UNAUTHORIZED` error frame),
   * or it expired during the session. Clients stop reconnecting with it.
   */
  UNAUTHORIZED: 4401,
  /** The same code as `UNAUTHORIZED`, under the name of its first use: the token expired during the session. */
  TOKEN_EXPIRED: 4401,
} as const

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode]
