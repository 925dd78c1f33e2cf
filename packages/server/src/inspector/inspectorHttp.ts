import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import type { HttpHandler, HttpRequest, HttpResponse } from '@hubbub/transport'
import { bearerMatches } from '../http/bearerMatches.js'
import { ServerError } from '../ServerError.js'
import type { InspectorAction, InspectorOptions } from './InspectorOptions.js'
import { parseAction } from './parseAction.js'

/** What the inspector's routes need from the server. */
export interface InspectorServer {
  introspect(): Promise<unknown>
  act(action: InspectorAction): Promise<{ ok: boolean; message?: string }>
}

const json = (status: number, value: unknown, headers: Record<string, string> = {}): HttpResponse => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
  body: JSON.stringify(value),
})

/** Checks the options; returns the normalised path (no trailing slash). */
export function inspectorPath(options: InspectorOptions): string {
  if (typeof options.secret !== 'string' || options.secret === '') {
    throw new ServerError('invalid_options', 'inspector.secret is empty: pass a long random string')
  }
  const path = (options.path ?? '/inspector').replace(/\/+$/, '')
  if (!path.startsWith('/') || path === '' || path === '/ws' || path.startsWith('/api')) {
    throw new ServerError(
      'invalid_options',
      `inspector.path ${JSON.stringify(options.path)} must start with / and not be /, /ws or under /api`,
    )
  }
  return path
}

/** The page's own script and style may run; nothing else (no inline script, no other origin). */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

type Asset = { type: string; file: string }

/** The page's files: the secret is not needed to load them (it travels in the URL fragment, read by the page). */
function pageAssets(): Record<string, Asset> {
  const ui = fileURLToPath(new URL('../../inspector-ui/', import.meta.url))
  const require = createRequire(import.meta.url)
  const uplot = require.resolve('uplot/dist/uPlot.iife.min.js')
  return {
    '/': { type: 'text/html; charset=utf-8', file: `${ui}index.html` },
    '/inspector.js': { type: 'text/javascript; charset=utf-8', file: `${ui}inspector.js` },
    '/tree.js': { type: 'text/javascript; charset=utf-8', file: `${ui}tree.js` },
    '/inspector.css': { type: 'text/css; charset=utf-8', file: `${ui}inspector.css` },
    '/uPlot.iife.min.js': { type: 'text/javascript; charset=utf-8', file: uplot },
    '/uPlot.min.css': {
      type: 'text/css; charset=utf-8',
      file: uplot.replace(/uPlot\.iife\.min\.js$/, 'uPlot.min.css'),
    },
  }
}

/**
 * The inspector's HTTP routes. Without a secret: the page (`<path>/` and its scripts and styles,
 * under a CSP). Behind `Authorization: Bearer <secret>` (401 without): `GET <path>/snapshot` (this
 * node's `introspect()`) and `POST <path>/actions` (`{action:'terminate',connectionId}` or
 * `{action:'crash',roomId}`); any other path under `<path>` is 401 without the secret too.
 */
export function inspectorHttp(
  options: InspectorOptions,
  server: InspectorServer,
  wsPath = '/ws',
): HttpHandler {
  const path = inspectorPath(options)
  const secret = options.secret
  const assets = pageAssets()
  const cache = new Map<string, string | Uint8Array>()
  const read = (route: string, asset: Asset): string | Uint8Array => {
    let body = cache.get(route)
    if (body === undefined) {
      const bytes = readFileSync(asset.file)
      // The page learns where the Hubbub socket is from a meta tag (no inline script under the CSP).
      body =
        route === '/'
          ? bytes.toString('utf8').replace('__WS_PATH__', wsPath.replace(/[^A-Za-z0-9/_.-]/g, ''))
          : new Uint8Array(bytes)
      cache.set(route, body)
    }
    return body
  }
  return async (req: HttpRequest) => {
    if (req.path !== path && !req.path.startsWith(`${path}/`)) return undefined
    if (req.path === path && req.method === 'GET') {
      return { status: 308, headers: { location: `${path}/` } }
    }
    const route = req.path.slice(path.length)
    const asset = assets[route]
    if (asset !== undefined && req.method === 'GET') {
      return {
        status: 200,
        headers: {
          'content-type': asset.type,
          'cache-control': 'no-cache',
          'content-security-policy': CSP,
          'x-content-type-options': 'nosniff',
          'referrer-policy': 'no-referrer',
        },
        body: read(route, asset),
      }
    }
    if (!bearerMatches(req.headers.authorization, secret)) {
      return json(
        401,
        { error: 'UNAUTHORIZED', message: 'missing or wrong inspector secret' },
        { 'www-authenticate': 'Bearer' },
      )
    }
    if (route === '/snapshot' && req.method === 'GET') return json(200, await server.introspect())
    if (route === '/actions' && req.method === 'POST') return act(server, req.body)
    return undefined
  }
}

async function act(server: InspectorServer, body: Uint8Array): Promise<HttpResponse> {
  const action = parseAction(body)
  if (action === undefined) {
    return json(400, {
      error: 'INVALID_MESSAGE',
      message: 'expected {"action":"terminate","connectionId"} or {"action":"crash","roomId"}',
    })
  }
  const result = await server.act(action)
  if (result.ok) return json(200, { ok: true })
  const error = action.action === 'terminate' ? 'NOT_FOUND' : 'ROOM_NOT_FOUND'
  return json(404, { error, message: result.message })
}
