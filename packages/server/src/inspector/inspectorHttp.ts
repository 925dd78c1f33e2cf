import type { AnyRef } from '@hubbub/actor'
import type { HttpHandler, HttpRequest, HttpResponse } from '@hubbub/transport'
import { bearerMatches } from '../http/bearerMatches.js'
import { ServerError } from '../ServerError.js'
import type { InspectorAction, InspectorOptions } from './InspectorOptions.js'

/** What the inspector's routes need from the server. */
export interface InspectorServer {
  introspect(): Promise<unknown>
  terminate(connectionId: string): boolean | Promise<boolean>
  /** The running room's actor, or undefined. */
  roomRef(roomId: string): AnyRef | undefined
  /** Sends an abnormal exit signal to an actor (its supervisor restarts it). */
  crash(ref: AnyRef, reason: Error): void
}

const json = (status: number, value: unknown, headers: Record<string, string> = {}): HttpResponse => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
  body: JSON.stringify(value),
})

const MAX_ID = 256

/** Reads an action body; undefined when it is not one. */
function parseAction(body: Uint8Array): InspectorAction | undefined {
  let raw: unknown
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body))
  } catch {
    return undefined
  }
  if (raw === null || typeof raw !== 'object') return undefined
  const r = raw as Record<string, unknown>
  const ok = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_ID
  if (r.action === 'terminate' && ok(r.connectionId))
    return { action: 'terminate', connectionId: r.connectionId }
  if (r.action === 'crash' && ok(r.roomId)) return { action: 'crash', roomId: r.roomId }
  return undefined
}

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

/**
 * The inspector's HTTP routes: `GET <path>/snapshot` (this node's `introspect()`) and
 * `POST <path>/actions` (`{action:'terminate',connectionId}` or `{action:'crash',roomId}`).
 * Every request under `<path>` without the bearer secret is answered 401.
 */
export function inspectorHttp(options: InspectorOptions, server: InspectorServer): HttpHandler {
  const path = inspectorPath(options)
  const secret = options.secret
  return async (req: HttpRequest) => {
    if (req.path !== path && !req.path.startsWith(`${path}/`)) return undefined
    if (!bearerMatches(req.headers.authorization, secret)) {
      return json(
        401,
        { error: 'UNAUTHORIZED', message: 'missing or wrong inspector secret' },
        { 'www-authenticate': 'Bearer' },
      )
    }
    const route = req.path.slice(path.length)
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
  if (action.action === 'terminate') {
    const done = await server.terminate(action.connectionId)
    return done ? json(200, { ok: true }) : json(404, { error: 'NOT_FOUND', message: 'no such connection' })
  }
  const ref = server.roomRef(action.roomId)
  if (ref === undefined)
    return json(404, { error: 'ROOM_NOT_FOUND', message: 'the room is not running here' })
  server.crash(ref, new Error('crashed from the inspector'))
  return json(200, { ok: true })
}
