import type {
  TemplatedApp,
  HttpRequest as UwsRequest,
  HttpResponse as UwsResponse,
  us_listen_socket,
  us_socket_context_t,
  WebSocket,
} from 'uWebSockets.js'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { STATUS_CODES } from 'node:http'
import {
  type Connection,
  clientAddress,
  type HttpHandler,
  type HttpRequest,
  type HttpResponse,
  isOriginAllowed,
  type ListenOptions,
  resolveTransportOptions,
  type Transport,
  type TransportOptions,
  type UpgradeRequest,
} from '@hubbub/transport'
import { formatAddress } from './formatAddress.js'
import { assertUwsInstalled, loadUws } from './loadUws.js'
import { SubscriberIndex } from './SubscriberIndex.js'
import { type ConnectionHost, type SocketData, UwsConnection } from './UwsConnection.js'
import { UwsTransportError } from './UwsTransportError.js'
import { asksForWebSocket, upgradeRefusal } from './upgradeRefusal.js'

/** An upgrade waiting for `authenticate`; `done` once answered, `aborted` once the peer left. */
interface PendingUpgrade {
  res: UwsResponse
  aborted: boolean
  done: boolean
  timer: NodeJS.Timeout | undefined
  remoteAddress: string
}

const textDecoder = new TextDecoder()

// A missing peer is reported when the package is imported, not at the first call.
assertUwsInstalled()

/** Options of other adapters that uWebSockets.js cannot honour: refused by name, never silently ignored. */
function refuseUnsupported(options: object): void {
  if ('server' in options && (options as { server?: unknown }).server !== undefined) {
    throw new UwsTransportError(
      'UNSUPPORTED_OPTION',
      'uwsTransport has no attach mode: uWebSockets.js owns its sockets and cannot share a node:http server (the `server` option). Let it listen on its own port, or use @hubbub/transport-ws, which can attach',
    )
  }
}

/** uWS force-closes on these without a close frame; report the code `ws` would have sent. */
const forcedCloseCodes: Record<string, number> = {
  'Received too big message': 1009,
  'Received too big message, or other inflation error': 1009,
  'Received invalid UTF-8': 1007,
}

/** uSockets' LIBUS_LISTEN_EXCLUSIVE_PORT (the typings declare it as a const enum member only). */
const LISTEN_EXCLUSIVE_PORT = 1
type ListenCallback = (socket: us_listen_socket | false) => void
/** uWS takes listen options after a host too; its typings declare them after a port only. */
interface ListenWithOptions {
  (host: string, port: number, options: number, cb: ListenCallback): unknown
  (port: number, options: number, cb: ListenCallback): unknown
}

export interface UwsTransportOptions<I = unknown> extends TransportOptions<I> {
  /**
   * Serve `wss://` and `https://` (uWebSockets.js's `SSLApp`): PEM files of the private key and
   * the certificate (chain). Missing files are refused when the transport is made.
   */
  tls?: { keyFile: string; certFile: string; passphrase?: string }
}

/** `uws.App()`, or `uws.SSLApp()` for `tls`, whose files are checked first (uWS would only fail at listen). */
function makeApp(uws: ReturnType<typeof loadUws>, tls: UwsTransportOptions['tls']): TemplatedApp {
  if (tls === undefined) return uws.App()
  for (const [name, file] of [
    ['tls.keyFile', tls.keyFile],
    ['tls.certFile', tls.certFile],
  ] as const) {
    if (typeof file !== 'string' || !existsSync(file)) {
      throw new UwsTransportError('UNSUPPORTED_OPTION', `${name}: no file at ${String(file)}`)
    }
  }
  return uws.SSLApp({
    key_file_name: tls.keyFile,
    cert_file_name: tls.certFile,
    ...(tls.passphrase === undefined ? {} : { passphrase: tls.passphrase }),
  })
}

/**
 * A Hubbub `Transport` on uWebSockets.js: native pub/sub fan-out in C++, the
 * shared upgrade pipeline and limits of `@hubbub/transport`, and no silent
 * skipping of slow receivers (they are closed with 1013 or their drops counted).
 */
export function uwsTransport<I = unknown>(options: UwsTransportOptions<I> = {}): Transport<I> {
  refuseUnsupported(options)
  const uws = loadUws()
  const opts = resolveTransportOptions(options)
  const app: TemplatedApp = makeApp(uws, options.tls)
  const idPrefix = `${randomBytes(4).toString('hex')}-`
  let nextId = 0
  let openedCount = 0
  let listenSocket: us_listen_socket | undefined
  let closing = false
  let heartbeat: NodeJS.Timeout | undefined
  const connectionHandlers: Array<(connection: Connection<I>) => void> = []
  const httpHandlers: HttpHandler[] = []
  const open = new Set<UwsConnection<I>>()
  const pending = new Set<PendingUpgrade>()
  const perIp = new Map<string, number>()
  const closeWaiters: Array<() => void> = []
  const compress = opts.perMessageDeflate

  const overLimit = (
    connection: UwsConnection<any>,
    data: string | Uint8Array,
    topic: string | undefined,
  ) => {
    if (opts.backpressure === 'drop') connection.recordDrop(data, topic)
    else connection.close(1013, 'backpressure limit')
  }
  const index = new SubscriberIndex<UwsConnection<I>>(opts.maxBackpressure, overLimit)
  const host: ConnectionHost = {
    maxBackpressure: opts.maxBackpressure,
    compress,
    overLimit,
    subscribed: (connection, topic) => index.add(topic, connection as UwsConnection<I>),
    unsubscribed: (connection, topic) => index.remove(topic, connection as UwsConnection<I>),
    wrote: (data) => index.wrote(data),
  }

  const releaseIp = (address: string) => {
    if (opts.maxConnectionsPerIp <= 0) return
    const n = (perIp.get(address) ?? 1) - 1
    if (n <= 0) perIp.delete(address)
    else perIp.set(address, n)
  }

  const refuse = (res: UwsResponse, status: number) => {
    const text = STATUS_CODES[status] ?? 'Error'
    res.cork(() => {
      res.writeStatus(`${status} ${text}`).writeHeader('content-type', 'text/plain').end(text, true)
    })
  }

  const finishPending = (p: PendingUpgrade): boolean => {
    if (p.done || p.aborted) return false
    p.done = true
    if (p.timer) clearTimeout(p.timer)
    pending.delete(p)
    return true
  }

  const upgrade = (res: UwsResponse, req: UwsRequest, context: us_socket_context_t) => {
    // uWS's request object only lives for this synchronous call: copy what we need first.
    const url = req.getUrl()
    const rawQuery = req.getQuery() ?? ''
    const headers: Record<string, string> = {}
    req.forEach((key, value) => {
      headers[key] = value
    })
    const key = headers['sec-websocket-key'] ?? ''
    const extensions = headers['sec-websocket-extensions'] ?? ''
    const remoteAddress = clientAddress(
      formatAddress(res.getRemoteAddress()),
      headers['x-forwarded-for'],
      opts.trustProxy,
    )
    if (url !== opts.path) return refuse(res, 404)
    if (closing) return refuse(res, 503)
    const malformed = upgradeRefusal('GET', url.length + rawQuery.length + 16, headers)
    if (malformed !== undefined) return refuse(res, malformed)
    const offered = (headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0)
    const request: UpgradeRequest = {
      url: rawQuery ? `${url}?${rawQuery}` : url,
      path: url,
      query: new URLSearchParams(rawQuery),
      headers,
      remoteAddress,
      origin: headers.origin,
      protocols: offered,
    }
    if (!isOriginAllowed(opts.allowedOrigins, request)) return refuse(res, 403)
    if (opts.maxConnectionsPerIp > 0) {
      // Counted at the handshake, not at open, so concurrent handshakes cannot overshoot the cap.
      const n = perIp.get(remoteAddress) ?? 0
      if (n >= opts.maxConnectionsPerIp) return refuse(res, 429)
      perIp.set(remoteAddress, n + 1)
    }
    let protocol: string | null
    try {
      protocol = opts.selectProtocol(offered, request)
    } catch {
      protocol = null
    }
    if (protocol === null) {
      releaseIp(remoteAddress)
      return refuse(res, 400)
    }
    const p: PendingUpgrade = { res, aborted: false, done: false, timer: undefined, remoteAddress }
    pending.add(p)
    res.onAborted(() => {
      // The peer left: the response is dead and must never be touched again.
      p.aborted = true
      if (p.timer) clearTimeout(p.timer)
      if (!p.done) releaseIp(remoteAddress)
      pending.delete(p)
    })
    p.timer = setTimeout(() => {
      if (!finishPending(p)) return
      releaseIp(remoteAddress)
      refuse(res, 408)
    }, opts.handshakeTimeoutMs)
    p.timer.unref()
    const accept = (identity: I) => {
      if (!finishPending(p)) return
      if (closing) {
        releaseIp(remoteAddress)
        return refuse(res, 503)
      }
      const data: SocketData<I> = {
        id: idPrefix + (nextId++).toString(36),
        identity,
        protocol,
        remoteAddress,
        connection: undefined,
      }
      const openedBefore = openedCount
      res.cork(() => res.upgrade(data, key, protocol, extensions, context))
      // uWS runs `open` inside upgrade(); if it did not (the socket died), free the IP slot here.
      if (openedCount === openedBefore) releaseIp(remoteAddress)
    }
    const deny = () => {
      if (!finishPending(p)) return
      releaseIp(remoteAddress)
      refuse(res, 401)
    }
    if (!opts.authenticate) return accept(undefined as I)
    let identity: I | Promise<I>
    try {
      identity = opts.authenticate(request)
    } catch {
      return deny()
    }
    if (
      identity instanceof Promise ||
      (typeof identity === 'object' && identity !== null && 'then' in identity)
    ) {
      Promise.resolve(identity).then(accept, deny)
    } else {
      accept(identity)
    }
  }

  const serveHttp = (res: UwsResponse, req: UwsRequest) => {
    const method = req.getCaseSensitiveMethod().toUpperCase()
    const path = req.getUrl()
    const rawQuery = req.getQuery() ?? ''
    const headers: Record<string, string> = {}
    req.forEach((key, value) => {
      headers[key] = value
    })
    const remoteAddress = clientAddress(
      formatAddress(res.getRemoteAddress()),
      headers['x-forwarded-for'],
      opts.trustProxy,
    )
    let aborted = false
    res.onAborted(() => {
      aborted = true
    })
    const respond = (
      status: number,
      extra: Record<string, string>,
      body: string | Uint8Array,
      close = false,
    ) => {
      if (aborted) return
      aborted = true // answered: nothing else may write
      res.cork(() => {
        res.writeStatus(`${status} ${STATUS_CODES[status] ?? ''}`)
        for (const [name, value] of Object.entries(extra)) {
          if (name.toLowerCase() !== 'content-length') res.writeHeader(name, value)
        }
        res.end(body, close)
      })
    }
    const dispatch = async (body: Uint8Array) => {
      const request: HttpRequest = {
        method,
        url: rawQuery ? `${path}?${rawQuery}` : path,
        path,
        query: new URLSearchParams(rawQuery),
        headers,
        remoteAddress,
        body,
      }
      try {
        for (const handler of httpHandlers) {
          const response: HttpResponse | undefined = await handler(request)
          if (response) return respond(response.status, response.headers ?? {}, response.body ?? '')
        }
        respond(404, { 'content-type': 'text/plain' }, 'Not Found')
      } catch {
        respond(500, { 'content-type': 'text/plain' }, 'Internal Server Error')
      }
    }
    // uWS hands a WebSocket request it cannot upgrade (no valid key, not GET) to plain HTTP
    if (path === opts.path && asksForWebSocket(headers))
      return respond(upgradeRefusal(method, path.length + rawQuery.length + 16, headers) ?? 400, {}, '', true)
    const declared = Number(headers['content-length'] ?? 0)
    if (declared > opts.maxHttpBody)
      return respond(413, { 'content-type': 'text/plain' }, 'Payload Too Large', true)
    // uWS never calls onData for an empty body, so only wait for one that is announced.
    if (declared === 0 && !headers['transfer-encoding']) {
      void dispatch(new Uint8Array(0))
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    res.onData((chunk, isLast) => {
      if (aborted) return
      size += chunk.byteLength
      if (size > opts.maxHttpBody)
        return respond(413, { 'content-type': 'text/plain' }, 'Payload Too Large', true)
      // uWS neuters the chunk after this callback: copy it.
      chunks.push(Buffer.from(chunk.slice(0)))
      if (isLast) void dispatch(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks))
    })
  }

  app.ws<SocketData<I>>('/*', {
    // Frames up to 2× maxPayload reach `message` and get a proper 1009; beyond that uWS
    // drops the socket without a close frame (its own limit, not configurable to send one).
    maxPayloadLength: opts.maxPayload * 2,
    // 'drop' shares uWS's exact threshold so our count matches what uWS skips; 'close'
    // leaves headroom so the 1013 close frame itself is not refused by the limit.
    maxBackpressure: opts.backpressure === 'drop' ? opts.maxBackpressure : opts.maxBackpressure * 2,
    closeOnBackpressureLimit: opts.backpressure === 'close' ? 1 : 0,
    // Heartbeats run on our own timer (exact interval and missed count, see README).
    idleTimeout: 0,
    sendPingsAutomatically: false,
    compression: opts.perMessageDeflate ? uws.SHARED_COMPRESSOR | uws.SHARED_DECOMPRESSOR : uws.DISABLED,
    upgrade,
    open: (ws: WebSocket<SocketData<I>>) => {
      const data = ws.getUserData()
      const connection = new UwsConnection<I>(ws, host, data)
      data.connection = connection
      open.add(connection)
      openedCount++
      for (const handler of connectionHandlers) handler(connection)
    },
    message: (ws, message, isBinary) => {
      const connection = ws.getUserData().connection
      if (!connection) return
      if (message.byteLength > opts.maxPayload) return connection.close(1009, 'Message too big')
      connection.emitMessage(isBinary ? Buffer.from(message.slice(0)) : textDecoder.decode(message), isBinary)
    },
    drain: (ws) => ws.getUserData().connection?.emitDrain(),
    // uWS answers each ping with a pong natively, before this handler runs. A peer that
    // floods pings and never reads piles pongs up; under 'close' it gets the slow
    // consumer's 1013 here, before uWS's own limit (2x) would drop it without a close frame.
    // Under 'drop' uWS itself drops the pongs over the limit, so the buffer stays bounded.
    ping: (ws) => {
      const connection = ws.getUserData().connection
      if (connection && opts.backpressure === 'close' && ws.getBufferedAmount() > opts.maxBackpressure)
        connection.close(1013, 'backpressure limit')
    },
    pong: (ws) => {
      const connection = ws.getUserData().connection
      if (connection) connection.missedPongs = 0
    },
    close: (ws, code, message) => {
      const data = ws.getUserData()
      const connection = data.connection
      if (!connection) return
      data.connection = undefined
      open.delete(connection)
      for (const topic of connection.takeTopics()) host.unsubscribed(connection, topic)
      releaseIp(data.remoteAddress)
      const reason = Buffer.from(message).toString()
      connection.emitClose(code === 1006 ? (forcedCloseCodes[reason] ?? code) : code, reason)
      if (open.size === 0) for (const resolve of closeWaiters.splice(0)) resolve()
    },
  })
  app.any('/*', serveHttp)

  const beat = () => {
    index.pinged()
    for (const connection of open) {
      if (connection.missedPongs >= opts.heartbeatMissedLimit) {
        connection.terminate()
        continue
      }
      connection.missedPongs++
      connection.ping()
    }
  }

  return {
    name: 'uws',
    get connections() {
      return open.size
    },
    onConnection(handler) {
      connectionHandlers.push(handler)
    },
    http(handler) {
      httpHandlers.push(handler)
    },
    publish(topic, data) {
      // Receivers uWS would skip (over the limit) get the policy first; false: no subscribers.
      if (!index.beforePublish(topic, data)) return
      app.publish(topic, data, typeof data !== 'string', compress)
    },
    listen({ port, host: hostname }: ListenOptions) {
      return new Promise<{ port: number }>((resolve, reject) => {
        if (listenSocket) return reject(new UwsTransportError('LISTEN_FAILED', 'already listening'))
        const done = (socket: us_listen_socket | false) => {
          if (!socket) {
            reject(new UwsTransportError('LISTEN_FAILED', `cannot listen on ${hostname ?? '*'}:${port}`))
            return
          }
          listenSocket = socket
          if (opts.heartbeatIntervalMs > 0 && !heartbeat) {
            heartbeat = setInterval(beat, opts.heartbeatIntervalMs)
            heartbeat.unref()
          }
          resolve({ port: uws.us_socket_local_port(socket as never) })
        }
        // Exclusive: without it uSockets sets SO_REUSEPORT, so a second server on a taken port
        // "listens" too and the kernel splits connections between the two processes.
        const listener = app as unknown as { listen: ListenWithOptions }
        if (hostname) listener.listen(hostname, port, LISTEN_EXCLUSIVE_PORT, done)
        else listener.listen(port, LISTEN_EXCLUSIVE_PORT, done)
      })
    },
    async close({ graceMs = 5_000 } = {}) {
      closing = true
      if (listenSocket) {
        uws.us_listen_socket_close(listenSocket)
        listenSocket = undefined
      }
      if (heartbeat) clearInterval(heartbeat)
      heartbeat = undefined
      for (const p of [...pending]) if (finishPending(p)) refuse(p.res, 503)
      for (const connection of [...open]) connection.close(1001, 'server shutting down')
      if (open.size === 0) return
      // uWS runs the close handler inside end(), so this only waits for sockets that
      // could not be ended (none today); stragglers are terminated after graceMs.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          for (const connection of [...open]) connection.terminate()
          resolve()
        }, graceMs)
        closeWaiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    },
  }
}
