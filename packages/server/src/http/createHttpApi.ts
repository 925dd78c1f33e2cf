import type { HttpHandler, HttpRequest, HttpResponse } from '@hubbub/transport'
import type { ServerMetrics } from '../metrics/createMetrics.js'
import { bearerMatches } from './bearerMatches.js'
import { broadcastBody } from './broadcastBody.js'
import { hasUnsafeKeys } from './hasUnsafeKeys.js'
import type { ServerStats } from './ServerStats.js'
import { type StaticFilesOptions, serveStatic } from './serveStatic.js'

export interface BroadcastFilter {
  userId?: string
  orgId?: string
}

export interface HttpApiOptions {
  /**
   * Bearer secret for `POST /api/broadcast`. Without it the route does not
   * exist (404): an unauthenticated broadcast endpoint is never served by default.
   */
  broadcastSecret?: string
  metrics: ServerMetrics
  health(): { connections: number }
  stats(): ServerStats | Promise<ServerStats>
  /** Publishes `text` to `roomId` as a `message` frame; returns the deliveries. */
  broadcast(roomId: string, text: string, from?: string): number | Promise<number>
  /** Sends `payload` to every connection matching `filter`; returns the deliveries. */
  broadcastWhere(filter: BroadcastFilter, payload: Record<string, unknown>): number | Promise<number>
  /** Serves a folder (the demo page) at `/`. */
  staticFiles?: StaticFilesOptions
  /** Told about errors thrown by the callbacks above (answered with 500); for the server's logger. */
  onError?: (err: unknown, req: HttpRequest) => void
}

const JSON_TYPE = 'application/json; charset=utf-8'

function json(status: number, value: unknown, headers: Record<string, string> = {}): HttpResponse {
  return {
    status,
    headers: { 'content-type': JSON_TYPE, 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(value),
  }
}

// exactOptionalPropertyTypes: hand the server only the keys the client sent.
function definedOnly(filter: { userId?: string | undefined; orgId?: string | undefined }): BroadcastFilter {
  const out: BroadcastFilter = {}
  if (filter.userId !== undefined) out.userId = filter.userId
  if (filter.orgId !== undefined) out.orgId = filter.orgId
  return out
}

const error = (status: number, code: string, message: string, headers?: Record<string, string>) =>
  json(status, { error: code, message }, headers)

/**
 * The HTTP endpoints of docs/PROTOCOL.md, as one handler for the transport's
 * `http` hook. Unknown paths return undefined so later handlers (or the 404) run.
 */
export function createHttpApi(options: HttpApiOptions): HttpHandler {
  const files = options.staticFiles ? serveStatic(options.staticFiles) : undefined
  const decoder = new TextDecoder('utf-8', { fatal: true })

  const broadcast = async (req: HttpRequest, secret: string): Promise<HttpResponse> => {
    if (!bearerMatches(req.headers.authorization, secret)) {
      return error(401, 'UNAUTHORIZED', 'missing or wrong bearer secret', { 'www-authenticate': 'Bearer' })
    }
    let raw: unknown
    try {
      raw = JSON.parse(decoder.decode(req.body))
    } catch {
      return error(400, 'INVALID_JSON', 'the body is not valid UTF-8 JSON')
    }
    if (hasUnsafeKeys(raw)) {
      return error(
        400,
        'INVALID_MESSAGE',
        'the body nests too deeply or uses a reserved key (__proto__, ...)',
      )
    }
    const parsed = broadcastBody.safeParse(raw)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      const path = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''
      return error(
        400,
        'INVALID_MESSAGE',
        `${path}${issue?.message ?? 'invalid body'}; expected {roomId, text, from?} or {filter: {userId?, orgId?}, payload}`,
      )
    }
    const body = parsed.data
    const delivered =
      'roomId' in body
        ? await (body.from === undefined
            ? options.broadcast(body.roomId, body.text)
            : options.broadcast(body.roomId, body.text, body.from))
        : await options.broadcastWhere(definedOnly(body.filter), body.payload)
    return json(202, { delivered })
  }

  const routes: Record<string, { method: string; handle: (req: HttpRequest) => Promise<HttpResponse> }> = {
    '/health': {
      method: 'GET',
      handle: async () => json(200, { status: 'ok', connections: options.health().connections }),
    },
    '/api/stats': { method: 'GET', handle: async () => json(200, await options.stats()) },
    '/metrics': {
      method: 'GET',
      handle: async () => ({
        status: 200,
        headers: { 'content-type': options.metrics.contentType, 'cache-control': 'no-store' },
        body: await options.metrics.render(),
      }),
    },
  }
  const secret = options.broadcastSecret
  if (secret !== undefined && secret.length > 0) {
    routes['/api/broadcast'] = { method: 'POST', handle: (req) => broadcast(req, secret) }
  }

  return async (req) => {
    const route = Object.hasOwn(routes, req.path) ? routes[req.path] : undefined
    if (route === undefined) return files?.(req)
    if (req.method !== route.method) {
      return error(405, 'METHOD_NOT_ALLOWED', `${req.path} accepts ${route.method} only`, {
        allow: route.method,
      })
    }
    try {
      return await route.handle(req)
    } catch (err) {
      // The server's callbacks threw (e.g. while draining); never leak a stack to the client.
      options.onError?.(err, req)
      return error(500, 'INTERNAL', 'internal error')
    }
  }
}
