import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ClientFrame, ServerFrame } from '@hubbub/protocol'
import { type RedisNode, redisNode } from '@hubbub/redis'
import { createServer, type HubbubServer, hmacAuth, type Logger, type ServerOptions } from '@hubbub/server'
import { type FileStore, fileStore } from '@hubbub/store-fs'
import type { TransportFactory } from '@hubbub/transport'
import { uwsTransport } from '@hubbub/transport-uws'
import { wsTransport } from '@hubbub/transport-ws'
import { CLIENT_BUNDLE, clientBundlePath } from './clientBundlePath.js'

export type TransportName = 'ws' | 'uws'

export interface ChatServerOptions {
  /** `ws` (default) or `uws` (uWebSockets.js): the only thing that changes between the two. */
  transport?: TransportName
  /** Listen on this port (0 picks a free one). Absent: no socket, only `handleConnection`. */
  port?: number
  host?: string
  /** When set, every connection needs an HS256 token signed with it; otherwise usernames are anonymous. */
  authSecret?: string
  /** Bearer secret of `POST /api/broadcast` (the route is not served without it). */
  broadcastSecret?: string
  /** Serves the server's inspector routes under `/inspector` behind this bearer secret; unset: off. */
  inspectorSecret?: string
  /** The folder served at `/`. Default: the page built next to this module, else `public/`. */
  staticDir?: string
  /** The client's browser bundle, served as `/hubbub-client.iife.js` when `staticDir` has none. */
  clientBundle?: string
  /** WebSocket ping interval (ms); 0 disables. Default 25,000. */
  heartbeatMs?: number
  /** Messages kept per room for history and recovery. Default 100. */
  historySize?: number
  /** An empty room stops after this long. Default 30,000 ms. */
  roomGraceMs?: number
  /**
   * Run as one node of several: rooms, history, presence and users are shared through the Redis
   * at this URL (every node with the same `redisPrefix`). Unset: one node, everything in memory.
   */
  redisUrl?: string
  /** The key prefix the nodes of one chat share. Default `hubbub-chat`. */
  redisPrefix?: string
  /**
   * Keep rooms' history and epochs in this directory (`@hubbub/store-fs`), so they survive a
   * restart of this single node. Ignored when `redisUrl` is set. Unset: in memory.
   */
  dataDir?: string
  /** This node's id (stats, presence). Default: random. */
  nodeId?: string
  logger?: Logger
}

/** One in-process connection: feed it client frames; the `sendFn` given to `handleConnection` gets server frames. */
export interface InProcessConnection {
  /** The connection id (the `connectionId` of its `welcome`). */
  connectionRef: string
  /** One client frame (an object, or its JSON text); resolves once the server has handled it. */
  onMessage(frame: ClientFrame | Record<string, unknown> | string): Promise<void>
  /** The client went away: its rooms see `user_left`. */
  onDisconnect(): Promise<void>
}

const transports: Record<TransportName, TransportFactory<any>> = {
  ws: wsTransport as TransportFactory<any>,
  uws: uwsTransport as TransportFactory<any>,
}

/** In-memory frames are handled through microtasks; one macrotask later they are done. */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve))

/**
 * The tutorials' chat server on Hubbub: it picks a transport, creates the server and
 * serves the page; `handleConnection` drives the same server core without a socket.
 */
export class ChatServer {
  #options: ChatServerOptions
  #server: HubbubServer | undefined
  #redis: RedisNode | undefined
  #store: FileStore | undefined
  #port: number | undefined

  constructor(options: ChatServerOptions = {}) {
    this.#options = options
  }

  /** Starts the server core, and the transport when a `port` is configured. `config` overrides the constructor's options. */
  async start(config: ChatServerOptions = {}): Promise<void> {
    if (this.#server !== undefined) throw new Error('ChatServer is already running')
    const o = { ...this.#options, ...config }
    const transportName = o.transport ?? 'ws'
    const factory = transports[transportName]
    if (factory === undefined) throw new Error(`unknown transport "${transportName}" (use ws or uws)`)
    const listen = o.port !== undefined
    const assets = listen ? await pageAssets(o) : undefined
    const options: ServerOptions = {
      auth: o.authSecret ? hmacAuth({ secret: o.authSecret }) : { anonymous: true },
      ...(listen ? { transport: factory } : {}),
      ...(assets ? { http: { staticFiles: { dir: assets.dir } } } : {}),
      ...(o.broadcastSecret ? { broadcastSecret: o.broadcastSecret } : {}),
      ...(o.inspectorSecret ? { inspector: { path: '/inspector', secret: o.inspectorSecret } } : {}),
      ...(o.heartbeatMs === undefined ? {} : { heartbeatMs: o.heartbeatMs }),
      ...(o.historySize === undefined ? {} : { historySize: o.historySize }),
      ...(o.roomGraceMs === undefined ? {} : { roomGraceMs: o.roomGraceMs }),
      ...(o.logger ? { logger: o.logger } : {}),
    }
    const nodeId = o.nodeId ?? randomBytes(6).toString('hex')
    const redis = o.redisUrl
      ? redisNode({
          redis: o.redisUrl,
          prefix: o.redisPrefix ?? 'hubbub-chat',
          nodeId,
          ...(o.historySize === undefined ? {} : { historySize: o.historySize }),
          onError: (err) => o.logger?.warn({ err }, 'redis'),
        })
      : undefined
    const store =
      redis === undefined && o.dataDir
        ? fileStore({
            dir: o.dataDir,
            ...(o.historySize === undefined ? {} : { historySize: o.historySize }),
            onError: (err) => o.logger?.warn({ err }, 'store-fs'),
          })
        : undefined
    const server = createServer({ ...options, nodeId, ...redis?.server, ...store?.server })
    if (assets?.bundle !== undefined && server.transport !== undefined) {
      const body = assets.bundle
      server.transport.http((req) =>
        req.method === 'GET' && req.path === `/${CLIENT_BUNDLE}`
          ? {
              status: 200,
              headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' },
              body,
            }
          : undefined,
      )
    }
    try {
      await server.ready
      if (listen) {
        const bound = await server.listen(
          o.host === undefined ? { port: o.port ?? 0 } : { port: o.port ?? 0, host: o.host },
        )
        this.#port = bound.port
      }
    } catch (err) {
      await server.close({ graceMs: 0 }).catch(() => {})
      await redis?.close()
      await store?.close()
      throw err
    }
    this.#server = server
    this.#redis = redis
    this.#store = store
  }

  /** Graceful drain: clients get `SERVER_SHUTDOWN`, then close 1001. */
  async stop(options: { graceMs?: number } = {}): Promise<void> {
    const server = this.#server
    if (server === undefined) return
    this.#server = undefined
    this.#port = undefined
    await server.close(options)
    const redis = this.#redis
    this.#redis = undefined
    await redis?.close()
    const store = this.#store
    this.#store = undefined
    await store?.close()
  }

  isRunning(): boolean {
    return this.#server !== undefined
  }

  /** The bound port (after `start` with a `port`). */
  get port(): number | undefined {
    return this.#port
  }

  /** The underlying `@hubbub/server` instance (stats, broadcast, admin). */
  get server(): HubbubServer {
    if (this.#server === undefined) throw new Error('ChatServer is not running')
    return this.#server
  }

  /** A connection without a socket: `sendFn` receives every server frame as an object, `welcome` first. */
  async handleConnection(sendFn: (frame: ServerFrame) => void): Promise<InProcessConnection> {
    const server = this.server
    const decoder = new TextDecoder()
    const conn = server.handleConnection({
      send: (data) =>
        sendFn(JSON.parse(typeof data === 'string' ? data : decoder.decode(data)) as ServerFrame),
      close: () => {},
    })
    return {
      connectionRef: conn.id,
      onMessage: async (frame) => {
        conn.receive(typeof frame === 'string' ? frame : JSON.stringify(frame))
        await settled()
      },
      onDisconnect: async () => {
        conn.closed(1000, '')
        await settled()
      },
    }
  }
}

/** The page folder and, when it lacks one, the client bundle to serve beside it (read once, so a rebuild of the client cannot race a request). */
async function pageAssets(o: ChatServerOptions): Promise<{ dir: string; bundle?: Uint8Array }> {
  const here = dirname(fileURLToPath(import.meta.url))
  // Built: dist/public holds the page and the bundle. From source: the app's public/ folder.
  const dir = o.staticDir ?? [join(here, 'public'), join(here, '..', 'public')].find((d) => existsSync(d))!
  if (existsSync(join(dir, CLIENT_BUNDLE))) return { dir }
  const bundlePath = o.clientBundle ?? clientBundlePath()
  try {
    return { dir, bundle: new Uint8Array(await readFile(bundlePath)) }
  } catch (cause) {
    throw new Error(
      `the page needs the client's browser bundle (${bundlePath}): run \`pnpm --filter @hubbub/client build\``,
      { cause },
    )
  }
}
