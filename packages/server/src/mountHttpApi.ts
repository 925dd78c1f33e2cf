import type { Transport } from '@hubbub/transport'
import type { HubbubServer } from './createServer.js'
import { createHttpApi } from './http/index.js'
import type { ServerOptions } from './ServerOptions.js'

/**
 * Serves the HTTP API (`/health`, `/api/stats`, `/metrics`, `POST /api/broadcast`,
 * static files) on the transport for `options.http` (default true); nothing for `false`.
 */
export function mountHttpApi(
  transport: Transport<any>,
  options: Pick<ServerOptions, 'http' | 'broadcastSecret'>,
  server: Pick<HubbubServer, 'metrics' | 'logger' | 'connections' | 'stats' | 'broadcast' | 'broadcastWhere'>,
): void {
  const http = options.http ?? true
  if (http === false) return
  transport.http(
    createHttpApi({
      ...(options.broadcastSecret === undefined ? {} : { broadcastSecret: options.broadcastSecret }),
      metrics: server.metrics,
      health: () => ({ connections: server.connections }),
      stats: () => server.stats(),
      broadcast: (roomId, text, from) =>
        server.broadcast(roomId, { text, ...(from === undefined ? {} : { from }) }),
      broadcastWhere: (filter, payload) => server.broadcastWhere(filter, payload),
      ...(typeof http === 'object' && http.staticFiles ? { staticFiles: http.staticFiles } : {}),
      onError: (err, req) => server.logger.error({ err, path: req.path }, 'http handler failed'),
    }),
  )
}
