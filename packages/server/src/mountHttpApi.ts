import type { Transport } from '@hubbub/transport'
import { type HttpApiServer, serverHttpApi } from './http/serverHttpApi.js'
import type { ServerOptions } from './ServerOptions.js'

/**
 * Serves the HTTP API (`/health`, `/api/stats`, `/metrics`, `POST /api/broadcast`,
 * static files) on the transport for `options.http` (default true); nothing for `false`.
 */
export function mountHttpApi(
  transport: Transport<any>,
  options: Pick<ServerOptions, 'http' | 'broadcastSecret'>,
  server: HttpApiServer,
): void {
  const http = options.http ?? true
  if (http === false) return
  transport.http(
    serverHttpApi(server, {
      broadcastSecret: options.broadcastSecret,
      staticFiles: typeof http === 'object' ? http.staticFiles : undefined,
    }),
  )
}
