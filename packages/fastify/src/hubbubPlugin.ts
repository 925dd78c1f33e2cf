import type { AddressInfo } from 'node:net'
import {
  createServer,
  type HubbubServer,
  type Logger,
  type ServerOptions,
  serverHttpApi,
} from '@hubbub/server'
import type { HttpRequest } from '@hubbub/transport'
import { wsTransport } from '@hubbub/transport-ws'
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'

type WsServerOptions = ServerOptions<typeof wsTransport>

export interface HubbubFastifyOptions
  extends Omit<WsServerOptions, 'transport' | 'http' | 'port' | 'host' | 'logger'> {
  /** Where the HTTP API is mounted (`{prefix}/health`, `{prefix}/api/stats`, …). Default `/hubbub`. */
  prefix?: string
  /** Serve the HTTP API as Fastify routes. Default true. */
  http?: boolean
  /** Hubbub's logger. Default: Fastify's own (`fastify.log`). */
  logger?: Logger
  /** How long `app.close()` lets sockets close before it terminates them. Default 5,000 ms. */
  closeGraceMs?: number
}

export type HubbubFastifyServer = HubbubServer<typeof wsTransport>

declare module 'fastify' {
  interface FastifyInstance {
    /** The Hubbub server sharing this Fastify's HTTP server: `broadcast`, `broadcastWhere`, `sendToUser`, `stats`… */
    hubbub: HubbubFastifyServer
  }
}

const routes = [
  { method: 'GET', path: '/health' },
  { method: 'GET', path: '/api/stats' },
  { method: 'GET', path: '/metrics' },
  { method: 'POST', path: '/api/broadcast' },
] as const

const plugin: FastifyPluginAsync<HubbubFastifyOptions> = async (fastify, options) => {
  const { prefix = '/hubbub', http = true, closeGraceMs = 5000, logger, ...serverOptions } = options
  const server = createServer({
    ...serverOptions,
    transport: wsTransport,
    // Fastify's HTTP server carries the WebSocket upgrades too (the ws transport's attach mode).
    transportOptions: { ...serverOptions.transportOptions, server: fastify.server },
    http: false,
    logger: logger ?? (fastify.log as unknown as Logger),
  })
  fastify.decorate('hubbub', server)

  // The transport starts its heartbeats once Fastify listens; with inject() alone it never needs to.
  fastify.addHook('onListen', async () => {
    await server.listen({ port: (fastify.server.address() as AddressInfo).port })
  })
  // preClose runs before Fastify waits for its open connections: the sockets are drained
  // (SERVER_SHUTDOWN, then 1001) instead of app.close() waiting for every client to leave.
  fastify.addHook('preClose', async () => {
    await server.close({ graceMs: closeGraceMs })
  })
  // A Fastify that never listened (inject() tests) still owns a server to stop.
  fastify.addHook('onClose', async () => {
    await server.close({ graceMs: closeGraceMs })
  })

  if (http) mountRoutes(fastify, server, prefix, serverOptions.broadcastSecret)
}

function mountRoutes(
  fastify: FastifyInstance,
  server: HubbubFastifyServer,
  prefix: string,
  broadcastSecret: string | undefined,
): void {
  const api = serverHttpApi(server, { broadcastSecret })
  for (const route of routes) {
    if (route.path === '/api/broadcast' && broadcastSecret === undefined) continue
    fastify.route({
      method: route.method,
      url: `${prefix}${route.path}`,
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const answer = await api(toHttpRequest(request, route.path))
        if (answer === undefined) return reply.callNotFound()
        reply.code(answer.status).headers(answer.headers ?? {})
        return reply.send(answer.body ?? '')
      },
    })
  }
}

/** The request as Hubbub's HTTP API reads it; Fastify has parsed the body already, so it is written out again. */
function toHttpRequest(request: FastifyRequest, path: string): HttpRequest {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(request.headers)) {
    if (typeof value === 'string') headers[name] = value
    else if (Array.isArray(value)) headers[name] = value.join(', ')
  }
  const parsed = request.body
  const body =
    parsed === undefined || parsed === null
      ? new Uint8Array()
      : typeof parsed === 'string' || Buffer.isBuffer(parsed)
        ? Buffer.from(parsed)
        : Buffer.from(JSON.stringify(parsed))
  return {
    method: request.method,
    url: request.url,
    path,
    query: new URLSearchParams(request.url.split('?')[1] ?? ''),
    headers,
    remoteAddress: request.ip,
    body,
  }
}

/** `app.register(hubbub, { auth, rooms, broadcastSecret, prefix? })`: Hubbub on Fastify's own port. */
export const hubbub = fp(plugin, { fastify: '4.x || 5.x', name: '@hubbub/fastify' })
