import { type Limits, negotiate, type Subprotocol } from '@hubbub/protocol'
import type { Connection, Transport, TransportOptions, UpgradeRequest } from '@hubbub/transport'
import { AuthError, type AuthHook, type Identity, isTokenProtocol } from './auth/index.js'
import { inspectorCredential, isInspectorProtocol } from './inspector/inspectorProtocol.js'
import type { ServerMetrics } from './metrics/index.js'
import { ServerError } from './ServerError.js'
import type { ServerOptions } from './ServerOptions.js'
import type { ConnectionInfo, ServerConnection, SocketLike } from './SocketLike.js'

/** What the transport is given by its server. */
export interface TransportHooks {
  readonly auth: AuthHook | undefined
  readonly limits: Limits
  readonly heartbeatMs: number
  readonly metrics: ServerMetrics
  /** True once the server drains: new upgrades are then refused. */
  closing(): boolean
  /** Adopts one socket (the server's `handleConnection`). */
  handleConnection(socket: SocketLike, info: ConnectionInfo): ServerConnection
  /** Answers a socket whose credential was refused: `UNAUTHORIZED`, then close 4401. */
  refuse(socket: SocketLike, protocol: string, message: string): void
  /** The inspector's secret when the server has an inspector. */
  readonly inspectorSecret: string | undefined
}

/**
 * What the upgrade hands over in place of an identity when the credential was refused. Browsers
 * cannot read the status of a refused upgrade (they see 1006), so the upgrade succeeds and the
 * refusal travels inside the socket (docs/PROTOCOL.md, Authentication).
 */
class RefusedCredential {
  constructor(readonly message: string) {}
}

/** What the upgrade hands over for a connection that gave the inspector secret (the app's auth is not asked). */
class InspectorCredential {}

function isTransport(t: ServerOptions['transport']): t is Transport<any> {
  return t !== undefined && typeof t !== 'function'
}

/**
 * The server's transport: `options.transport` as is when it is a ready `Transport`,
 * else built from the factory with the server's limits, heartbeat, subprotocol
 * negotiation and `authenticate` hook. Its connections are handed to
 * `handleConnection`. Undefined without `options.transport`.
 */
export function attachTransport(options: ServerOptions, hooks: TransportHooks): Transport<any> | undefined {
  const t = options.transport
  let transport: Transport<any> | undefined
  if (t === undefined) return undefined
  if (isTransport(t)) transport = t
  else {
    const supported: Subprotocol[] =
      options.msgpack === false ? ['hubbub.v1.json'] : ['hubbub.v1.json', 'hubbub.v1.msgpack']
    const auth = hooks.auth
    const limits = hooks.limits
    transport = t({
      maxPayload: limits.maxPayload,
      maxConnectionsPerIp: Number.isFinite(limits.connectionsPerAddress) ? limits.connectionsPerAddress : 0,
      heartbeat: { intervalMs: hooks.heartbeatMs },
      ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }),
      selectProtocol: (offered: readonly string[]) => {
        // `hubbub.token.<jwt>` entries carry credentials, not a wire format.
        const formats = offered.filter((p) => !isTokenProtocol(p) && !isInspectorProtocol(p))
        // Nothing offered (or only a token): v1 JSON, without a Sec-WebSocket-Protocol answer.
        if (formats.length === 0) return ''
        return negotiate(formats, supported)
      },
      ...(options.transportOptions as TransportOptions<any> | undefined),
      // Always installed, so a draining server refuses new upgrades even in anonymous mode.
      authenticate: async (req: UpgradeRequest) => {
        if (hooks.closing()) throw new ServerError('closed', 'server is shutting down')
        // The inspector's own secret, independent of the app's auth: a wrong one is 401 at the upgrade.
        const inspector = inspectorCredential(req.protocols, hooks.inspectorSecret)
        if (inspector === 'valid') return new InspectorCredential()
        if (inspector === 'invalid') throw new Error('wrong inspector secret')
        if (auth === undefined) return undefined
        try {
          return await auth.authenticate(req)
        } catch (error) {
          // Only an AuthError's message is meant for clients; any other failure may carry internals.
          return new RefusedCredential(error instanceof AuthError ? error.message : 'credential refused')
        }
      },
    })
  }
  const countDrop = (): void => hooks.metrics.drops.inc()
  transport.onConnection((conn: Connection<any>) => {
    if (conn.identity instanceof RefusedCredential) {
      hooks.refuse(conn, conn.protocol, conn.identity.message)
      return
    }
    const inspector = conn.identity instanceof InspectorCredential
    const handle = hooks.handleConnection(conn, {
      identity: inspector ? undefined : (conn.identity as Identity | undefined),
      ...(inspector ? { inspector } : {}),
      protocol: conn.protocol,
      remoteAddress: conn.remoteAddress,
    })
    // The record itself takes its socket's messages and close: no function per socket. An adapter
    // without `deliverTo` gets bound methods (48 B each) rather than two closures (about 150 B).
    if (conn.deliverTo !== undefined) conn.deliverTo(handle)
    else {
      conn.onMessage(handle.receive.bind(handle))
      conn.onClose(handle.closed.bind(handle))
    }
    conn.onDrop(countDrop)
  })
  return transport
}
