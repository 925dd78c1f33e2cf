// The wiring: a Hubbub server whose `doc:*` rooms are Yjs documents (`yjsRoom`), in memory, with the
// editor page (public/) and its script, bundled on start, beside it.
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createServer, type HubbubServer, type Logger } from '@hubbub/server'
import { wsTransport } from '@hubbub/transport-ws'
import { type YjsRoomOptions, yjsRoom } from '@hubbub/yjs'
import { bundlePage } from './pageBundle.js'

export interface CollabServerOptions {
  /** Listen on this port (0 picks a free one). Default 7203. */
  port?: number
  host?: string
  /** WebSocket ping interval (ms); 0 disables. Default 25,000. */
  heartbeatMs?: number
  /** An empty document's room stops after this long (its snapshot stays in memory). Default 60,000 ms. */
  roomGraceMs?: number
  /** Options of the Yjs rooms. Default: the package's. */
  yjs?: YjsRoomOptions
  logger?: Logger
}

/** The page's script path. */
export const PAGE_SCRIPT = '/app.js'
/** Rooms whose id starts with `doc:` are shared documents. */
export const DOC_ROOM = /^doc:/

/** The page's folder: `public/` beside `src/`. */
export function pageDir(): string {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'public')
  if (!existsSync(dir)) throw new Error(`the editor page (public/) is not at ${dir}`)
  return dir
}

export class CollabServer {
  #server: HubbubServer | undefined
  #port: number | undefined
  readonly behaviour: ReturnType<typeof yjsRoom>

  constructor(readonly options: CollabServerOptions = {}) {
    // The package's limits (30 updates and awareness frames per second per user, burst 60): a tab
    // that goes over them has its refused edits sent again by the provider, merged, after a backoff.
    this.behaviour = yjsRoom({ ...options.yjs })
  }

  async start(): Promise<void> {
    const o = this.options
    const script = await bundlePage()
    const server = createServer({
      transport: wsTransport,
      http: { staticFiles: { dir: pageDir() } },
      auth: { anonymous: true },
      rooms: [{ match: DOC_ROOM, behaviour: this.behaviour }],
      roomGraceMs: o.roomGraceMs ?? 60_000,
      ...(o.heartbeatMs === undefined ? {} : { heartbeatMs: o.heartbeatMs }),
      ...(o.logger ? { logger: o.logger } : {}),
    })
    server.transport?.http((req) =>
      req.method === 'GET' && req.path === PAGE_SCRIPT
        ? {
            status: 200,
            headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' },
            body: script,
          }
        : undefined,
    )
    try {
      await server.ready
      const bound = await server.listen({
        port: o.port ?? 7203,
        ...(o.host === undefined ? {} : { host: o.host }),
      })
      this.#port = bound.port
    } catch (err) {
      await server.close({ graceMs: 0 }).catch(() => {})
      throw err
    }
    this.#server = server
  }

  async stop(options: { graceMs?: number } = {}): Promise<void> {
    const server = this.#server
    this.#server = undefined
    this.#port = undefined
    await server?.close(options)
  }

  get port(): number | undefined {
    return this.#port
  }

  get server(): HubbubServer {
    if (this.#server === undefined) throw new Error('CollabServer is not running')
    return this.#server
  }
}
