/**
 * The contract every Hubbub transport implements. The server core only ever sees
 * `Transport` and `Connection`; adapters (ws, uWebSockets.js) only adapt.
 * The transport is protocol-agnostic: it moves frames, fans out pre-encoded
 * bytes by topic, enforces socket-level limits, and runs the upgrade pipeline.
 */

import type { BlockList } from 'node:net'
import { trustedProxies } from './clientAddress.js'

/** What `Connection.send` did with the data. */
export type SendResult = 'sent' | 'buffered' | 'dropped'

/** What happens when a connection's outgoing buffer exceeds `maxBackpressure`. */
export type BackpressurePolicy = 'close' | 'drop'

/** The HTTP upgrade request as the upgrade pipeline sees it (headers lower-cased). */
export interface UpgradeRequest {
  readonly url: string
  readonly path: string
  readonly query: URLSearchParams
  readonly headers: Readonly<Record<string, string>>
  readonly remoteAddress: string
  /** The `Origin` header, or undefined when absent. */
  readonly origin: string | undefined
  /** Subprotocols offered in `Sec-WebSocket-Protocol`, in order. */
  readonly protocols: readonly string[]
}

export interface HttpRequest {
  readonly method: string
  readonly url: string
  readonly path: string
  readonly query: URLSearchParams
  readonly headers: Readonly<Record<string, string>>
  readonly remoteAddress: string
  /** The whole request body (empty for GET), bounded by `maxHttpBody`. */
  readonly body: Uint8Array
}

export interface HttpResponse {
  status: number
  headers?: Record<string, string>
  body?: string | Uint8Array
}

/** Serves plain HTTP beside the socket. Return undefined to fall through to 404. */
export type HttpHandler = (req: HttpRequest) => HttpResponse | undefined | Promise<HttpResponse | undefined>

export interface HeartbeatOptions {
  /** Ping interval; 0 disables heartbeats. Default 25,000 ms. */
  intervalMs?: number
  /** Pings that may go unanswered before the peer is terminated. Default 2. */
  missedLimit?: number
}

export interface TransportOptions<I = unknown> {
  /** WebSocket endpoint path. Default `/ws`. */
  path?: string
  /**
   * Allowed `Origin` values: exact origins, a predicate, or `'*'` for any.
   * Default: same host only (the Origin's host equals the Host header).
   * A `null` origin is refused unless a predicate accepts it. Refusal → 403.
   * Requests with no Origin header (non-browser clients) are allowed unless a predicate says otherwise.
   */
  allowedOrigins?: readonly string[] | ((origin: string | undefined, req: UpgradeRequest) => boolean) | '*'
  /** Authenticates the upgrade. Throw (or reject) → 401 and no WebSocket is created. */
  authenticate?: (req: UpgradeRequest) => I | Promise<I>
  /**
   * Chooses the subprotocol from the offered list. Return null to refuse the
   * handshake (400). Default: the first offered, or '' when none offered.
   */
  selectProtocol?: (offered: readonly string[], req: UpgradeRequest) => string | null
  /** Open connections per remote address; beyond it the upgrade gets 429. Default 0 (no cap). */
  maxConnectionsPerIp?: number
  /** Time allowed for the upgrade pipeline (auth included). Default 10,000 ms. */
  handshakeTimeoutMs?: number
  /** Largest accepted frame/message in bytes; larger → close 1009. Default 65,536. */
  maxPayload?: number
  /** permessage-deflate; off by default. When on, inflation is bounded by maxPayload. */
  perMessageDeflate?: boolean
  heartbeat?: HeartbeatOptions
  /** Bytes buffered per connection before the backpressure policy applies. Default 1 MiB. */
  maxBackpressure?: number
  /** Default `'close'` (close 1013). `'drop'`: the message is dropped and counted. */
  backpressure?: BackpressurePolicy
  /** Largest HTTP request body read for `http()` handlers. Default 1 MiB (larger → 413). */
  maxHttpBody?: number
  /**
   * Proxies (load balancers) whose `X-Forwarded-For` is believed: addresses and subnets
   * (`['10.0.0.0/8', '::1']`). A connection from one of them gets the client address the
   * header names (past every trusted hop) as `remoteAddress`, which `maxConnectionsPerIp` and
   * logs use. Default: none (the TCP peer's address, whatever the header says).
   */
  trustProxy?: readonly string[]
}

export interface ListenOptions {
  port: number
  host?: string
}

/** One object that takes a connection's messages and its close (see `Connection.deliverTo`). */
export interface ConnectionSink {
  receive(data: string | Uint8Array, isBinary: boolean): void
  closed(code: number, reason: string): void
}

export interface Connection<I = unknown> {
  readonly id: string
  /** Sends one message; binary when `data` is a Uint8Array. */
  send(data: string | Uint8Array): SendResult
  subscribe(topic: string): void
  unsubscribe(topic: string): void
  isSubscribed(topic: string): boolean
  close(code?: number, reason?: string): void
  /** Destroys the socket at once, without a closing handshake. */
  terminate(): void
  readonly bufferedAmount: number
  readonly remoteAddress: string
  /** The negotiated subprotocol ('' when none). */
  readonly protocol: string
  /** What `authenticate` returned (undefined without an authenticate hook). */
  readonly identity: I
  /** Messages dropped under the `'drop'` backpressure policy. */
  readonly droppedCount: number
  readonly isOpen: boolean
  onMessage(handler: (data: string | Uint8Array, isBinary: boolean) => void): void
  onClose(handler: (code: number, reason: string) => void): void
  /**
   * Hands every message to `sink.receive` and the close to `sink.closed`, ahead of the `onMessage`
   * and `onClose` handlers: the same as registering those two methods, with no function allocated
   * per connection. At most one sink. Optional for adapters (`BaseConnection` has it); a server
   * falls back to the handlers without it.
   */
  deliverTo?(sink: ConnectionSink): void
  onDrain(handler: () => void): void
  /** Called for every message dropped under the `'drop'` policy (sends and publishes alike). */
  onDrop(handler: (data: string | Uint8Array, topic: string | undefined) => void): void
}

export interface Transport<I = unknown> {
  /** Binds and starts accepting; port 0 picks a free port. */
  listen(options: ListenOptions): Promise<{ port: number }>
  /** Stops accepting, closes every connection with 1001, resolves once all are gone (terminating stragglers after graceMs). */
  close(options?: { graceMs?: number }): Promise<void>
  onConnection(handler: (connection: Connection<I>) => void): void
  /** Fans out `data` (already encoded, once, by the caller) to every local subscriber of `topic`. */
  publish(topic: string, data: string | Uint8Array): void
  /** Open connections. */
  readonly connections: number
  /** Serves plain HTTP routes beside the socket. Several handlers are tried in order. */
  http(handler: HttpHandler): void
  /** The adapter's name, for logs and metrics (`ws`, `uws`). */
  readonly name: string
}

export type TransportFactory<I = unknown> = (options?: TransportOptions<I>) => Transport<I>

/** Defaults shared by every adapter (so both behave the same). */
export const TransportDefaults = {
  path: '/ws',
  maxConnectionsPerIp: 0,
  handshakeTimeoutMs: 10_000,
  maxPayload: 64 * 1024,
  perMessageDeflate: false,
  heartbeatIntervalMs: 25_000,
  heartbeatMissedLimit: 2,
  maxBackpressure: 1024 * 1024,
  backpressure: 'close',
  maxHttpBody: 1024 * 1024,
} as const

export interface ResolvedTransportOptions<I> {
  path: string
  allowedOrigins: TransportOptions<I>['allowedOrigins'] | undefined
  authenticate: ((req: UpgradeRequest) => I | Promise<I>) | undefined
  selectProtocol: (offered: readonly string[], req: UpgradeRequest) => string | null
  maxConnectionsPerIp: number
  handshakeTimeoutMs: number
  maxPayload: number
  perMessageDeflate: boolean
  heartbeatIntervalMs: number
  heartbeatMissedLimit: number
  maxBackpressure: number
  backpressure: BackpressurePolicy
  maxHttpBody: number
  /** `trustProxy` as a lookup; undefined when no proxy is trusted. */
  trustProxy: BlockList | undefined
}

export function resolveTransportOptions<I>(options: TransportOptions<I> = {}): ResolvedTransportOptions<I> {
  return {
    path: options.path ?? TransportDefaults.path,
    allowedOrigins: options.allowedOrigins,
    authenticate: options.authenticate,
    selectProtocol: options.selectProtocol ?? ((offered) => offered[0] ?? ''),
    maxConnectionsPerIp: options.maxConnectionsPerIp ?? TransportDefaults.maxConnectionsPerIp,
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? TransportDefaults.handshakeTimeoutMs,
    maxPayload: options.maxPayload ?? TransportDefaults.maxPayload,
    perMessageDeflate: options.perMessageDeflate ?? TransportDefaults.perMessageDeflate,
    heartbeatIntervalMs: options.heartbeat?.intervalMs ?? TransportDefaults.heartbeatIntervalMs,
    heartbeatMissedLimit: options.heartbeat?.missedLimit ?? TransportDefaults.heartbeatMissedLimit,
    maxBackpressure: options.maxBackpressure ?? TransportDefaults.maxBackpressure,
    backpressure: options.backpressure ?? TransportDefaults.backpressure,
    maxHttpBody: options.maxHttpBody ?? TransportDefaults.maxHttpBody,
    trustProxy: options.trustProxy?.length ? trustedProxies(options.trustProxy) : undefined,
  }
}

/** Why an upgrade was refused, as the HTTP status both adapters answer with. */
export const UpgradeRefusal = {
  badRequest: 400,
  unauthorized: 401,
  forbidden: 403,
  notFound: 404,
  /** The upgrade pipeline (auth included) outlived `handshakeTimeoutMs`. */
  requestTimeout: 408,
  tooManyRequests: 429,
} as const

/**
 * The shared Origin rule. `'*'` allows all; a list allows exact matches; a
 * predicate decides alone. Default: no Origin (non-browser) is allowed, `null`
 * is refused, otherwise the Origin's host must equal the Host header.
 */
export function isOriginAllowed(
  allowed: TransportOptions['allowedOrigins'] | undefined,
  req: UpgradeRequest,
): boolean {
  const origin = req.origin
  if (typeof allowed === 'function') return allowed(origin, req)
  if (allowed === '*') return true
  if (origin === undefined) return true
  if (origin === 'null') return false
  if (Array.isArray(allowed)) return allowed.includes(origin)
  try {
    return new URL(origin).host === req.headers.host
  } catch {
    return false
  }
}
