import type { Identity } from './auth/index.js'

/**
 * The smallest thing the server core can talk to (Hocuspocus style): a transport
 * connection, a test double, or a `sendFn` wrapper. `subscribe`/`unsubscribe`
 * are given only by sockets of the server's own transport (room fan-out then
 * happens in the transport's `publish`); any other socket is served by the core's
 * fallback fan-out, still exactly once per message.
 */
export interface SocketLike {
  send(data: string | Uint8Array): unknown
  close(code?: number, reason?: string): void
  /** Destroys the socket without a closing handshake (transports have it; `terminate(id)` falls back to close 1001). */
  terminate?(): void
  subscribe?(topic: string): void
  unsubscribe?(topic: string): void
}

/** What the core knows about a socket when it is handed over. */
export interface ConnectionInfo {
  /** The authenticated identity (from the upgrade); absent for anonymous connections. */
  identity?: Identity | undefined
  /** The negotiated subprotocol: `hubbub.v1.msgpack` for binary frames, anything else is JSON. */
  protocol?: string | undefined
  remoteAddress?: string | undefined
  /** The upgrade gave the inspector secret: the connection may join the `hubbub:inspector` room. */
  inspector?: boolean | undefined
}

/** The core's handle on one socket: feed it what the socket receives, and tell it when the socket closed. */
export interface ServerConnection {
  readonly id: string
  /** One WebSocket message from the client. */
  receive(data: string | Uint8Array, isBinary?: boolean): void
  /** The socket closed (idempotent; also fine after the server closed it). */
  closed(code?: number, reason?: string): void
}
