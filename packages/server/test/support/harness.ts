import type { TransportFactory } from '@hubbub/transport'
import { uwsTransport } from '@hubbub/transport-uws'
import { wsTransport } from '@hubbub/transport-ws'
import { onTestFinished } from 'vitest'
import WebSocket from 'ws'
import { createServer, type HubbubServer, type ServerOptions } from '../../src/index.js'

/** Every adapter the integration suite runs against (Colyseus style: one suite, every implementation). */
export const transports: { name: string; factory: TransportFactory<any> }[] = [
  { name: 'ws', factory: wsTransport as TransportFactory<any> },
  { name: 'uws', factory: uwsTransport as TransportFactory<any> },
]

export type Frame = { type: string } & Record<string, any>

export interface Started {
  server: HubbubServer
  port: number
  url: string
  http(path: string, init?: RequestInit): Promise<Response>
}

/** A server on port 0 with the given transport, closed when the test finishes. */
export async function startServer(
  factory: TransportFactory<any>,
  options: Partial<ServerOptions> = {},
): Promise<Started> {
  const server = createServer({
    transport: factory,
    auth: { anonymous: true },
    heartbeatMs: 0,
    roomGraceMs: 0,
    ...options,
  } as ServerOptions)
  onTestFinished(() => server.close({ graceMs: 1000 }))
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' })
  return {
    server,
    port,
    url: `ws://127.0.0.1:${port}/ws`,
    http: (path, init) => fetch(`http://127.0.0.1:${port}${path}`, init),
  }
}

/** A real WebSocket client that records every frame and can wait for one. */
export class TestClient {
  readonly frames: Frame[] = []
  readonly closed: Promise<{ code: number; reason: string }>
  #waiters: { pred: (f: Frame) => boolean; from: number; resolve: (f: Frame) => void }[] = []
  #nextId = 1
  /** Per room, the users this client knows of (from `joined`, then each `presence_diff`). */
  #users = new Map<string, Set<string>>()

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (isBinary) return
      const frame = JSON.parse(String(data)) as Frame
      this.#record(frame)
      // As the client SDK does: a diff is also each user who really came or went, as the per-user
      // frames of `presenceBatchMs: 0`, checked against the users this client knows from `joined`.
      if (frame.type === 'presence_diff') {
        const known = this.#users.get(frame.roomId) ?? new Set<string>()
        for (const username of frame.leaves as string[])
          if (known.delete(username)) this.#record({ type: 'user_left', roomId: frame.roomId, username })
        for (const username of frame.joins as string[]) {
          if (known.has(username)) continue
          known.add(username)
          this.#record({ type: 'user_joined', roomId: frame.roomId, username })
        }
      } else if (frame.type === 'joined') this.#users.set(frame.roomId, new Set(frame.users))
    })
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
    )
  }

  #record(frame: Frame): void {
    this.frames.push(frame)
    const index = this.frames.length - 1
    this.#waiters = this.#waiters.filter((w) => {
      if (index >= w.from && w.pred(frame)) {
        w.resolve(frame)
        return false
      }
      return true
    })
  }

  /** Connects and waits for `welcome`. Rejects with the HTTP status when the upgrade is refused. */
  static async connect(
    url: string,
    options: { protocols?: string[]; headers?: Record<string, string> } = {},
  ): Promise<TestClient> {
    const ws = new WebSocket(url, options.protocols ?? [], { headers: options.headers ?? {} })
    const client = new TestClient(ws)
    onTestFinished(() => ws.terminate())
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
      ws.once('error', reject)
    })
    await client.waitFor((f) => f.type === 'welcome')
    return client
  }

  send(frame: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(frame))
  }

  /** Sends a frame with a fresh `id` and waits for the frame answering it (`replyTo`). */
  async request(frame: Record<string, unknown>): Promise<Frame> {
    const id = `r${this.#nextId++}`
    const from = this.frames.length
    this.send({ ...frame, id })
    return this.waitFor((f) => f.replyTo === id, from)
  }

  /** The first frame (received so far, from index `from`, or later) matching `pred`. */
  waitFor(pred: (f: Frame) => boolean, from = 0, timeoutMs = 5000): Promise<Frame> {
    for (let i = from; i < this.frames.length; i++)
      if (pred(this.frames[i]!)) return Promise.resolve(this.frames[i]!)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no matching frame; got ${JSON.stringify(this.frames)}`)),
        timeoutMs,
      )
      this.#waiters.push({
        pred,
        from,
        resolve: (f) => {
          clearTimeout(timer)
          resolve(f)
        },
      })
    })
  }

  /** Round-trips a ping: every frame the server sent before the pong has arrived. */
  async barrier(): Promise<void> {
    await this.request({ type: 'ping' })
  }

  /** Joins and waits for `joined` (or the error answering the join). */
  join(roomId: string, username?: string, extra: Record<string, unknown> = {}): Promise<Frame> {
    return this.request({ type: 'join', roomId, ...(username === undefined ? {} : { username }), ...extra })
  }

  of(type: string): Frame[] {
    return this.frames.filter((f) => f.type === type)
  }

  close(): void {
    this.ws.close()
  }
}
