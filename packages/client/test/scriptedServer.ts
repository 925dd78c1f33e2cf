import type { AddressInfo } from 'node:net'
import { onTestFinished } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import type { ConnectOptions } from '../src/index.js'
import { testClient } from './helpers.js'

/** One client connection as the scripted server sees it: read its frames one by one, answer by hand. */
export class Peer {
  readonly protocols: string[]
  #frames: any[] = []
  #waiters: ((frame: any) => void)[] = []
  readonly closed: Promise<number>
  /** Pings received; while `mute`, they go unanswered (a dead link as the client sees it). */
  pings = 0
  mute = false

  constructor(
    readonly ws: WebSocket,
    protocolHeader: string | undefined,
  ) {
    this.protocols = protocolHeader ? protocolHeader.split(',').map((p) => p.trim()) : []
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data))
      if (frame.type === 'ping') {
        this.pings++
        if (!this.mute) ws.send(JSON.stringify({ type: 'pong', timestamp: Date.now() }))
        return
      }
      const waiter = this.#waiters.shift()
      if (waiter) waiter(frame)
      else this.#frames.push(frame)
    })
    this.closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)))
  }

  /** The next frame the client sent (pings are answered and skipped). */
  next(): Promise<any> {
    const frame = this.#frames.shift()
    if (frame) return Promise.resolve(frame)
    return new Promise((resolve) => this.#waiters.push(resolve))
  }

  /** Frames received and not yet read. */
  get unread(): any[] {
    return this.#frames
  }

  send(...frames: object[]): void {
    for (const frame of frames) this.ws.send(JSON.stringify(frame))
  }

  welcome(heartbeatMs = 30_000): void {
    this.send({
      type: 'welcome',
      connectionId: 'c',
      protocol: 1,
      serverTime: Date.now(),
      heartbeatMs,
      presenceGraceMs: 0,
    })
  }

  /** Reads a `join` and answers `joined` (plus `history` when given). */
  async acceptJoin(
    joined: { offset?: number; epoch?: string; users?: string[] } = {},
    history?: object,
  ): Promise<any> {
    const join = await this.next()
    if (join.type !== 'join') throw new Error(`expected join, got ${join.type}`)
    const users = joined.users ?? [join.username ?? 'me']
    this.send({
      type: 'joined',
      replyTo: join.id,
      roomId: join.roomId,
      users,
      count: users.length,
      offset: joined.offset ?? 0,
      epoch: joined.epoch ?? 'e1',
    })
    if (history) this.send({ type: 'history', roomId: join.roomId, ...history })
    return join
  }
}

/** A `ws` server on port 0 whose test plays the Hubbub server frame by frame. */
export async function scriptedServer(): Promise<{ url: string; nextPeer(): Promise<Peer>; peers: Peer[] }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  await new Promise((resolve) => wss.once('listening', resolve))
  const peers: Peer[] = []
  const queue: Peer[] = []
  const waiters: ((peer: Peer) => void)[] = []
  wss.on('connection', (ws, request) => {
    const peer = new Peer(ws, request.headers['sec-websocket-protocol'])
    peers.push(peer)
    const waiter = waiters.shift()
    if (waiter) waiter(peer)
    else queue.push(peer)
  })
  onTestFinished(async () => {
    for (const ws of wss.clients) ws.terminate()
    await new Promise((resolve) => wss.close(resolve))
  })
  const { port } = wss.address() as AddressInfo
  return {
    url: `ws://127.0.0.1:${port}/ws`,
    peers,
    nextPeer: () => {
      const peer = queue.shift()
      return peer ? Promise.resolve(peer) : new Promise((resolve) => waiters.push(resolve))
    },
  }
}

export function message(offset: number, text = `m${offset}`, from = 'other', roomId = 'r') {
  return { type: 'message', roomId, from, text, timestamp: 1, offset }
}

export { WebSocket }

/**
 * The opening most scripted tests share: a client joining room `r` as `me`, and the server side of
 * its socket, welcomed and holding the join (the test answers it with `acceptJoin` or an error).
 */
export async function joinAsMe(options: ConnectOptions = {}) {
  const server = await scriptedServer()
  const client = testClient(server.url, options)
  const joining = client.join('r', { username: 'me' })
  const peer = await server.nextPeer()
  peer.welcome()
  return { server, client, joining, peer }
}
