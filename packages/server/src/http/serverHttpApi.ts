import type { HttpHandler } from '@hubbub/transport'
import type { HubbubServer } from '../createServer.js'
import { createHttpApi } from './createHttpApi.js'
import type { StaticFilesOptions } from './serveStatic.js'

/** What of a server its HTTP API reads and calls. */
export type HttpApiServer = Pick<
  HubbubServer,
  'metrics' | 'logger' | 'connections' | 'stats' | 'broadcast' | 'broadcastWhere'
>

export interface ServerHttpApiOptions {
  /** Bearer secret of `POST /api/broadcast`; without it the route is not served. */
  broadcastSecret?: string | undefined
  /** A folder served at `/`. */
  staticFiles?: StaticFilesOptions | undefined
}

/**
 * A server's HTTP API (`/health`, `/api/stats`, `/metrics`, `POST /api/broadcast`, static files)
 * as one handler: what the server mounts on its own transport, and what the framework
 * integrations (`@hubbub/fastify`, `attach`) serve on their host's routes.
 */
export function serverHttpApi(server: HttpApiServer, options: ServerHttpApiOptions = {}): HttpHandler {
  return createHttpApi({
    ...(options.broadcastSecret === undefined ? {} : { broadcastSecret: options.broadcastSecret }),
    ...(options.staticFiles === undefined ? {} : { staticFiles: options.staticFiles }),
    metrics: server.metrics,
    health: () => ({ connections: server.connections }),
    stats: () => server.stats(),
    broadcast: (roomId, text, from) =>
      server.broadcast(roomId, { text, ...(from === undefined ? {} : { from }) }),
    broadcastWhere: (filter, payload) => server.broadcastWhere(filter, payload),
    onError: (err, req) => server.logger.error({ err, path: req.path }, 'http handler failed'),
  })
}
