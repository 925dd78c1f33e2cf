import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { Transport, TransportOptions } from '@hubbub/transport'
import { createServer, type HubbubServer } from './createServer.js'
import type { ServerOptions, TransportOptionsOf } from './ServerOptions.js'

/** A node:http request handler in Express's middleware shape: without `next`, what it does not serve is a 404. */
export type NodeHttpHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (err?: unknown) => void,
) => void

/** A transport that can share a node:http server: `wsTransport` (uWS owns its sockets and cannot). */
export type AttachableTransport = (
  options?: TransportOptions<any> & { server?: Server | HttpsServer },
) => Transport<any> & { handleRequest(req: IncomingMessage, res: ServerResponse): Promise<boolean> }

export interface AttachOptions<T extends AttachableTransport>
  extends Omit<ServerOptions<T>, 'transport' | 'port' | 'host'> {
  /** `wsTransport` from `@hubbub/transport-ws`. */
  transport: T
  /** How long closing the HTTP server lets sockets close before they are terminated. Default 5,000 ms. */
  closeGraceMs?: number
}

export type AttachedServer<T extends AttachableTransport> = HubbubServer<T> & {
  /**
   * The HTTP API (`/health`, `/api/stats`, `/metrics`, `POST /api/broadcast`, static files,
   * the inspector) as `(req, res, next?)`, for `app.use('/hubbub', hubbub.handler)` or a plain
   * `node:http` handler. Works after a body parser (`express.json()`) has read the body.
   */
  readonly handler: NodeHttpHandler
}

/**
 * Hubbub on an existing `node:http` / `node:https` server (a plain one, or Express's
 * `app.listen()` result): WebSocket upgrades on `transportOptions.path` (default `/ws`), the rest
 * stays with the app. The transport starts with the HTTP server (at once if it listens already),
 * and `httpServer.close(callback)` drains Hubbub first (`SERVER_SHUTDOWN`, then 1001) and calls
 * back once both are closed.
 */
export function attach<T extends AttachableTransport>(
  httpServer: Server | HttpsServer,
  options: AttachOptions<T>,
): AttachedServer<T> {
  const { closeGraceMs = 5000, ...serverOptions } = options
  const server = createServer<T>({
    ...(serverOptions as ServerOptions<T>),
    transportOptions: { ...serverOptions.transportOptions, server: httpServer } as TransportOptionsOf<T>,
  })
  const transport = server.transport as ReturnType<AttachableTransport>

  const start = (): void => {
    const port = (httpServer.address() as AddressInfo | null)?.port ?? 0
    // Already listening: this starts the heartbeats and resolves with the port.
    server.listen({ port }).catch((err: unknown) => server.logger.error({ err }, 'hubbub failed to start'))
  }
  if (httpServer.listening) start()
  else httpServer.once('listening', start)

  // node:http has no hook before it waits for its open sockets, and upgraded sockets keep it open:
  // close() itself drains Hubbub, so the WebSockets end and the HTTP server can finish closing.
  const close = httpServer.close as (this: unknown, callback: (err?: Error) => void) => unknown
  httpServer.close = function closeWithHubbub(this: unknown, callback?: (err?: Error) => void) {
    httpServer.off('listening', start)
    const drained = server.close({ graceMs: closeGraceMs })
    close.call(this, (err?: Error) => {
      drained.then(() => callback?.(err))
    })
    return this
  } as typeof httpServer.close

  const handler: NodeHttpHandler = (req, res, next) => {
    transport.handleRequest(req, res).then(
      (handled) => {
        if (handled) return
        if (next) next()
        else res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found')
      },
      (err: unknown) => {
        if (next) return next(err)
        server.logger.error({ err, path: req.url }, 'http handler failed')
        if (res.headersSent) res.destroy()
        else res.writeHead(500).end()
      },
    )
  }
  return Object.assign(server, { handler })
}
