import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import type { Duplex } from 'node:stream'
import {
  type Connection,
  clientAddress,
  type HttpHandler,
  type HttpResponse,
  isOriginAllowed,
  type ListenOptions,
  resolveTransportOptions,
  type Transport,
  type TransportOptions,
  UpgradeRefusal,
  type UpgradeRequest,
} from '@hubbub/transport'
import { WebSocketServer } from 'ws'
import { buildDeflatedFrame, buildFrame } from './buildFrame.js'
import { WsConnection, type WsConnectionHost } from './WsConnection.js'

/** Frames this size and larger are compressed when permessage-deflate is on (ws's own threshold too). */
const DEFLATE_THRESHOLD = 1024

export interface WsTransportOptions<I = unknown> extends TransportOptions<I> {
  /**
   * Attach to an existing `node:http`/`node:https` server (Fastify's `app.server`,
   * Express's `app.listen()` result, a plain server) instead of creating one.
   * The transport then only handles upgrades on its path; plain HTTP stays with the
   * host (mount `handleRequest` there to serve `http()` routes), and `close()` leaves
   * the host server running.
   */
  server?: Server | HttpsServer
}

/** The ws transport: the `Transport` contract plus a node:http request handler for attach mode. */
export interface WsTransport<I = unknown> extends Transport<I> {
  /** Serves a request through the `http()` handlers; resolves false (nothing written) when none matched. */
  handleRequest(req: IncomingMessage, res: ServerResponse): Promise<boolean>
}

function ignoreError(): void {}

function refuse(socket: Duplex, status: number): void {
  if (socket.destroyed) return
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
  )
  setTimeout(() => socket.destroy(), 1000).unref()
}

/** What a body parser left in `req.body`, as bytes again: a Buffer or string as is, anything else as JSON. */
function parsedBody(parsed: unknown): Uint8Array {
  if (parsed === undefined || parsed === null) return new Uint8Array()
  if (parsed instanceof Uint8Array) return parsed
  return Buffer.from(typeof parsed === 'string' ? parsed : JSON.stringify(parsed))
}

function headerRecord(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v
  return headers
}

/**
 * A Hubbub transport on `ws`. `publish` builds the frame once and writes the same
 * bytes to every subscriber's socket; the upgrade pipeline (path → origin → per-IP
 * cap → subprotocol → authenticate) runs before ws creates any WebSocket.
 */
export function wsTransport<I = unknown>(options: WsTransportOptions<I> = {}): WsTransport<I> {
  const opts = resolveTransportOptions(options)
  const attached = options.server !== undefined
  const server: Server | HttpsServer =
    options.server ??
    createServer({
      // The header phase (slowloris) and the whole request are bounded by handshakeTimeoutMs as well;
      // node answers 408. Its check runs every connectionsCheckingInterval, so that follows the bound.
      headersTimeout: opts.handshakeTimeoutMs,
      requestTimeout: opts.handshakeTimeoutMs,
      connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(opts.handshakeTimeoutMs / 4))),
    })
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    maxPayload: opts.maxPayload,
    // ws bounds inflation by maxPayload (a deflate bomb → 1009). Without server context takeover
    // every message the server sends stands alone, so `publish` compresses a frame once for all
    // subscribers instead of once per socket (RFC 7692 lets the server impose it on any offer).
    perMessageDeflate: opts.perMessageDeflate
      ? { threshold: DEFLATE_THRESHOLD, concurrencyLimit: 10, serverNoContextTakeover: true }
      : false,
    handleProtocols: (_offered, req) => chosenProtocol.get(req) || false,
  })
  const chosenProtocol = new WeakMap<IncomingMessage, string>()
  const index = new Map<string, Set<WsConnection<I>>>()
  const open = new Set<WsConnection<I>>()
  const perIp = new Map<string, number>()
  const connectionHandlers: Array<(c: Connection<I>) => void> = []
  const httpHandlers: HttpHandler[] = []
  let closing: Promise<void> | undefined
  let heartbeat: NodeJS.Timeout | undefined

  const idPrefix = `${randomBytes(4).toString('hex')}-`
  let nextId = 0
  const host: WsConnectionHost<I> = {
    maxBackpressure: opts.maxBackpressure,
    backpressure: opts.backpressure,
    index,
    lingering: new Set(),
    gone(connection) {
      open.delete(connection)
      release(connection.remoteAddress)
    },
  }

  const release = (ip: string): void => {
    const n = (perIp.get(ip) ?? 1) - 1
    if (n <= 0) perIp.delete(ip)
    else perIp.set(ip, n)
  }

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    // module-level: a closure here would keep this whole call's scope (request, URL, timer) alive with the socket
    socket.on('error', ignoreError)
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (url.pathname !== opts.path) {
      // in attach mode another upgrade listener may own this path
      if (!attached || server.listenerCount('upgrade') <= 1) refuse(socket, UpgradeRefusal.notFound)
      return
    }
    if (closing) return refuse(socket, 503)
    const headers = headerRecord(req)
    const remoteAddress = clientAddress(
      req.socket.remoteAddress ?? '',
      headers['x-forwarded-for'],
      opts.trustProxy,
    )
    const upgrade: UpgradeRequest = {
      url: req.url ?? '/',
      path: url.pathname,
      query: url.searchParams,
      headers,
      remoteAddress,
      origin: headers.origin,
      protocols: (headers['sec-websocket-protocol'] ?? '')
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p !== ''),
    }
    if (!isOriginAllowed(opts.allowedOrigins, upgrade)) return refuse(socket, UpgradeRefusal.forbidden)
    if (opts.maxConnectionsPerIp > 0 && (perIp.get(remoteAddress) ?? 0) >= opts.maxConnectionsPerIp) {
      return refuse(socket, UpgradeRefusal.tooManyRequests)
    }
    const protocol = opts.selectProtocol(upgrade.protocols, upgrade)
    if (protocol === null || (protocol !== '' && !upgrade.protocols.includes(protocol))) {
      return refuse(socket, UpgradeRefusal.badRequest)
    }
    // the slot is held from here so concurrent handshakes cannot overshoot the cap
    perIp.set(remoteAddress, (perIp.get(remoteAddress) ?? 0) + 1)
    let identity: I
    let timer: NodeJS.Timeout | undefined
    try {
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), opts.handshakeTimeoutMs)
      })
      const result = await Promise.race([
        opts.authenticate
          ? Promise.resolve().then(() => opts.authenticate?.(upgrade) as I)
          : (undefined as I),
        timeout,
      ])
      if (result === 'timeout' && opts.authenticate) {
        release(remoteAddress)
        return refuse(socket, UpgradeRefusal.requestTimeout)
      }
      identity = result as I
    } catch {
      release(remoteAddress)
      return refuse(socket, UpgradeRefusal.unauthorized)
    } finally {
      clearTimeout(timer)
    }
    if (socket.destroyed || closing) {
      release(remoteAddress)
      if (closing) refuse(socket, 503)
      return
    }
    if (protocol !== '') chosenProtocol.set(req, protocol)
    complete(req, socket, head, remoteAddress, protocol, identity)
  }

  /** Hands the socket to ws; kept apart from onUpgrade so nothing a connection keeps alive closes over the request. */
  function complete(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    remoteAddress: string,
    protocol: string,
    identity: I,
  ): void {
    // frees the IP slot if the socket dies before ws upgrades it; removed once it has
    const guard = () => release(remoteAddress)
    socket.once('close', guard)
    // ws writes the 101 at once; corked, it goes out in one write with what the connection
    // handlers send straight away (the server's `welcome`) instead of a write (and a packet) each.
    socket.cork()
    let corked = true
    const uncork = (): void => {
      if (!corked) return
      corked = false
      socket.uncork()
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      // ws has its own socket listeners now: ours would only cost an array per socket
      socket.removeListener('close', guard)
      socket.removeListener('error', ignoreError)
      const connection = new WsConnection<I>(
        idPrefix + (nextId++).toString(36),
        ws,
        remoteAddress,
        protocol,
        identity,
        host,
      )
      open.add(connection)
      try {
        for (const h of connectionHandlers) h(connection)
      } finally {
        uncork()
      }
    })
    // ws refused the handshake, or the socket was gone: nothing may stay corked.
    if (corked) process.nextTick(uncork)
  }

  /** The request body: read from the stream, or taken from a body parser that ran first (`req.body`). */
  async function readBody(req: IncomingMessage): Promise<Uint8Array | 'too-big'> {
    if (req.readableEnded) {
      // express.json(), express.text(), express.raw() or another parser consumed the stream.
      const bytes = parsedBody((req as IncomingMessage & { body?: unknown }).body)
      return bytes.length > opts.maxHttpBody ? 'too-big' : bytes
    }
    const declared = Number(req.headers['content-length'] ?? 0)
    if (declared > opts.maxHttpBody) return 'too-big'
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length
      if (size > opts.maxHttpBody) return 'too-big'
      chunks.push(chunk)
    }
    return new Uint8Array(Buffer.concat(chunks))
  }

  async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const body = await readBody(req)
    if (body === 'too-big') {
      res.writeHead(413, { connection: 'close' }).end()
      if (!req.readableEnded) req.resume()
      return true
    }
    const url = new URL(req.url ?? '/', 'http://localhost')
    const headers = headerRecord(req)
    const request = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      path: url.pathname,
      query: url.searchParams,
      headers,
      remoteAddress: clientAddress(
        req.socket.remoteAddress ?? '',
        headers['x-forwarded-for'],
        opts.trustProxy,
      ),
      body,
    }
    let response: HttpResponse | undefined
    for (const handler of httpHandlers) {
      response = await handler(request)
      if (response) break
    }
    if (!response) return false
    res.writeHead(response.status, response.headers)
    res.end(response.body)
    return true
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    handleRequest(req, res)
      .then((handled) => {
        if (!handled) res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found')
      })
      .catch(() => {
        if (!res.headersSent) res.writeHead(500).end()
        else res.destroy()
      })
  }

  const upgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    onUpgrade(req, socket, head).catch(() => socket.destroy())
  }
  server.on('upgrade', upgradeListener)
  if (!attached) server.on('request', onRequest)

  function startHeartbeat(): void {
    if (opts.heartbeatIntervalMs <= 0 || heartbeat) return
    heartbeat = setInterval(() => {
      for (const c of open) {
        if (c.missedPongs >= opts.heartbeatMissedLimit) {
          c.terminate()
          continue
        }
        c.missedPongs++
        if (c.isOpen) c.ws.ping()
      }
    }, opts.heartbeatIntervalMs)
    heartbeat.unref()
  }

  return {
    name: 'ws',
    get connections() {
      return open.size
    },

    async listen({ port, host }: ListenOptions) {
      startHeartbeat()
      if (!server.listening) {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject)
          server.listen(port, host, () => {
            server.off('error', reject)
            resolve()
          })
        })
      }
      const address = server.address()
      return { port: typeof address === 'object' && address ? address.port : port }
    },

    close({ graceMs = 5000 } = {}) {
      closing ??= (async () => {
        if (!attached) server.close()
        const gone = [...open].map((c) => new Promise<void>((resolve) => c.onClose(() => resolve())))
        for (const c of open) c.close(1001, 'server shutting down')
        for (const c of host.lingering) c.terminate()
        const timer = setTimeout(() => {
          for (const c of open) c.terminate()
        }, graceMs)
        await Promise.all(gone)
        clearTimeout(timer)
        if (heartbeat) clearInterval(heartbeat)
        server.off('upgrade', upgradeListener)
        if (!attached) {
          server.off('request', onRequest)
          ;(server as Server).closeAllConnections()
        }
        wss.close()
      })()
      return closing
    },

    onConnection(handler) {
      connectionHandlers.push(handler)
    },

    publish(topic, data) {
      const subscribers = index.get(topic)
      if (!subscribers || subscribers.size === 0) return
      const frame = buildFrame(data)
      if (!opts.perMessageDeflate || frame.length < DEFLATE_THRESHOLD) {
        for (const c of subscribers) c.writeFrame(frame, data, topic)
        return
      }
      // compressed once per window size in use (in practice one), never once per subscriber
      const deflated: Array<Buffer | undefined> = []
      for (const c of subscribers) {
        const bits = c.deflateBits
        if (bits === 0) c.writeFrame(frame, data, topic)
        else {
          let compressed = deflated[bits]
          if (compressed === undefined) {
            compressed = buildDeflatedFrame(data, bits)
            deflated[bits] = compressed
          }
          c.writeFrame(compressed, data, topic)
        }
      }
    },

    http(handler) {
      httpHandlers.push(handler)
    },

    handleRequest,
  }
}
