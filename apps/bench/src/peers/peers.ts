import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import type { RawData, WebSocket } from 'ws'

/**
 * The peer servers of the side-by-side bench. Every peer implements the same scenario:
 * a client joins a room (and is answered with one frame once it is in), a client's message to a
 * room is delivered to every member of that room, the sender included (as Hubbub does), and a
 * client may leave. Each peer speaks its own wire format (see `wire.ts`); the load generator is
 * the same for all of them.
 */
export type WireName = 'raw' | 'hubbub' | 'sio'

export interface RunningPeer {
  port: number
  close(): Promise<void>
}

export interface Peer {
  /** Row label. */
  label: string
  wire: WireName
  /** Which package versions the row measures (filled from the installed package.json files). */
  packages: string[]
  start(): Promise<RunningPeer>
}

const require = createRequire(import.meta.url)

/** The installed version of `name` as seen from this package. */
export function versionOf(name: string): string {
  try {
    return (require(`${name}/package.json`) as { version: string }).version
  } catch {
    return 'not installed'
  }
}

type Uws = typeof import('uWebSockets.js')

function loadUws(): Uws {
  const uws = require('uWebSockets.js') as Uws
  // the unofficial build can fall back to a JavaScript implementation; a native bench must not
  if (!Function.prototype.toString.call(uws.App).includes('[native code]'))
    throw new Error('uWebSockets.js is not native')
  return uws
}

async function listenUws(uws: Uws, app: ReturnType<Uws['App']>): Promise<RunningPeer> {
  let listenSocket: unknown
  const port = await new Promise<number>((resolve, reject) =>
    app.listen('127.0.0.1', 0, (socket) => {
      if (!socket) return reject(new Error('listen failed'))
      listenSocket = socket
      resolve(uws.us_socket_local_port(socket as never))
    }),
  )
  return {
    port,
    async close() {
      if (listenSocket) uws.us_listen_socket_close(listenSocket as never)
    },
  }
}

/**
 * Raw wire (both raw peers): `J<room>` joins, answered `{"type":"joined"}`; `L<room>` leaves;
 * `P<room> <payload>` sends `<payload>` to every member of `<room>`.
 */
function parseRaw(text: string): { op: string; room: string; payload: string } {
  const space = text.indexOf(' ')
  const end = space < 0 ? text.length : space
  return { op: text[0]!, room: text.slice(1, end), payload: space < 0 ? '' : text.slice(space + 1) }
}

const JOINED = '{"type":"joined"}'

/** `ws` with a room map and a send loop: what a hand-rolled Node server does. */
async function startRawWs(): Promise<RunningPeer> {
  const { WebSocketServer } = await import('ws')
  const http = createServer()
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false })
  const rooms = new Map<string, Set<WebSocket>>()
  wss.on('connection', (ws) => {
    const mine = new Set<string>()
    ws.on('message', (data: RawData) => {
      const { op, room, payload } = parseRaw(data.toString())
      if (op === 'J') {
        const members = rooms.get(room) ?? new Set<WebSocket>()
        rooms.set(room, members)
        members.add(ws)
        mine.add(room)
        ws.send(JOINED)
      } else if (op === 'L') {
        rooms.get(room)?.delete(ws)
        mine.delete(room)
      } else if (op === 'P') {
        const members = rooms.get(room)
        if (members) for (const member of members) member.send(payload)
      }
    })
    ws.on('close', () => {
      for (const room of mine) {
        const members = rooms.get(room)
        members?.delete(ws)
        if (members?.size === 0) rooms.delete(room)
      }
    })
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  return {
    port: (http.address() as { port: number }).port,
    async close() {
      for (const ws of wss.clients) ws.terminate()
      await new Promise((resolve) => http.close(resolve))
    },
  }
}

/** uWebSockets.js with native topics: `subscribe` and `app.publish`. */
async function startRawUws(): Promise<RunningPeer> {
  const uws = loadUws()
  const decoder = new TextDecoder()
  const app = uws.App()
  app.ws('/*', {
    maxBackpressure: 1024 * 1024,
    maxPayloadLength: 64 * 1024,
    idleTimeout: 0,
    message: (ws, message) => {
      const { op, room, payload } = parseRaw(decoder.decode(message))
      if (op === 'J') {
        ws.subscribe(room)
        ws.send(JOINED)
      } else if (op === 'L') ws.unsubscribe(room)
      else if (op === 'P') app.publish(room, payload, false)
    },
  })
  return listenUws(uws, app)
}

/** Socket.IO's handlers, the same on both engines: `join` (acknowledged), `message` to the room. */
function socketIoHandlers(io: import('socket.io').Server): void {
  io.on('connection', (socket) => {
    socket.on('join', (room: string, ack?: () => void) => {
      void Promise.resolve(socket.join(room)).then(() => ack?.())
    })
    socket.on('leave', (room: string) => {
      void socket.leave(room)
    })
    socket.on('message', (room: string, text: string) => {
      io.to(room).emit('message', text)
    })
  })
}

// Heartbeats pushed out of the measured windows, like the Hubbub rows' `heartbeatMs: 0`.
const sioOptions = {
  transports: ['websocket' as const],
  pingInterval: 600_000,
  pingTimeout: 600_000,
  perMessageDeflate: false,
}

/** Socket.IO 4 on its default engine (`ws` underneath), websocket transport only. */
async function startSocketIoWs(): Promise<RunningPeer> {
  const { Server } = await import('socket.io')
  const http = createServer()
  const io = new Server(http, sioOptions)
  socketIoHandlers(io)
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  return {
    port: (http.address() as { port: number }).port,
    async close() {
      await new Promise((resolve) => io.close(resolve))
    },
  }
}

/** Socket.IO 4 on uWebSockets.js through `attachApp`, as its performance guide advises. */
async function startSocketIoUws(): Promise<RunningPeer> {
  const { Server } = await import('socket.io')
  const uws = loadUws()
  const app = uws.App()
  const io = new Server(sioOptions)
  io.attachApp(app)
  socketIoHandlers(io)
  const running = await listenUws(uws, app)
  return {
    port: running.port,
    async close() {
      io.close()
      await running.close()
    },
  }
}

/** The whole Hubbub server (chat room, anonymous users), as the other benches run it. */
function hubbub(transport: 'ws' | 'uws'): () => Promise<RunningPeer> {
  return async () => {
    const { startFullServer } = await import('../server/startFullServer.js')
    return startFullServer(transport)
  }
}

export const peers: Record<string, Peer> = {
  'hubbub-uws': {
    label: 'Hubbub on uWebSockets.js',
    wire: 'hubbub',
    packages: ['@hubbub/server', 'uWebSockets.js'],
    start: hubbub('uws'),
  },
  'raw-uws': {
    label: 'raw uWebSockets.js publish',
    wire: 'raw',
    packages: ['uWebSockets.js'],
    start: startRawUws,
  },
  'hubbub-ws': {
    label: 'Hubbub on ws',
    wire: 'hubbub',
    packages: ['@hubbub/server', 'ws'],
    start: hubbub('ws'),
  },
  'raw-ws': { label: 'raw ws send loop', wire: 'raw', packages: ['ws'], start: startRawWs },
  'sio-ws': {
    label: 'Socket.IO (ws engine)',
    wire: 'sio',
    packages: ['socket.io', 'ws'],
    start: startSocketIoWs,
  },
  'sio-uws': {
    label: 'Socket.IO on uWebSockets.js',
    wire: 'sio',
    packages: ['socket.io', 'uWebSockets.js'],
    start: startSocketIoUws,
  },
}

export const peerNames = Object.keys(peers)
