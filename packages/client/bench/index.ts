// Client-side costs, printed as a table and, last, one JSON line.
//  1. frame handling: message frames pushed straight into the client (in-memory socket): parse, light
//     check, dedup, emit. The client's own ceiling, no network.
//  2. end to end: a real server (ws transport, same process) publishes N messages with server.broadcast;
//     time until the client delivered the last one.
//  3. recovery: N messages published while the client is away; time from the reconnect's welcome to
//     the last recovered message delivered.
import { createServer, type ServerOptions } from '@hubbub/server'
import { wsTransport } from '@hubbub/transport-ws'
import WebSocket from 'ws'
import { type Client, connect, type Room } from '../src/index.js'

const rounds = Number(process.env.ROUNDS ?? 3)

class MemorySocket {
  static last: MemorySocket
  readyState = 1
  onmessage: ((event: { data: unknown }) => void) | null = null
  onclose: ((event: { code: number; reason: string }) => void) | null = null
  onerror: ((event: unknown) => void) | null = null
  constructor() {
    MemorySocket.last = this
  }
  send() {}
  close() {}
}

/** The floor: JSON.parse of the same frames, nothing else. */
function parseOnly(frames: string[]): number {
  const start = performance.now()
  for (const data of frames) JSON.parse(data)
  return (frames.length / (performance.now() - start)) * 1000
}

function messageFrames(n: number): string[] {
  return Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      type: 'message',
      roomId: 'r',
      from: 'x',
      text: `message ${i}`,
      timestamp: 1,
      offset: i + 1,
    }),
  )
}

async function frameHandling(frames: string[]): Promise<number> {
  const n = frames.length
  const client = connect('ws://memory/ws', { WebSocket: MemorySocket as never })
  const socket = MemorySocket.last
  const feed = (frame: object) => socket.onmessage!({ data: JSON.stringify(frame) })
  feed({ type: 'welcome', connectionId: 'c', protocol: 1, serverTime: 0, heartbeatMs: 0, presenceGraceMs: 0 })
  const joining = client.join('r', { username: 'me' })
  feed({ type: 'joined', replyTo: '1', roomId: 'r', users: ['me'], count: 1, offset: 0, epoch: 'e' })
  const room = await joining
  await new Promise((resolve) => setTimeout(resolve, 0))
  let seen = 0
  room.on('message', () => seen++)
  const start = performance.now()
  for (const data of frames) socket.onmessage!({ data })
  const ms = performance.now() - start
  if (seen !== n) throw new Error(`delivered ${seen} of ${n}`)
  client.close()
  return (n / ms) * 1000
}

async function withServer<T>(options: Partial<ServerOptions>, run: (url: string, server: any) => Promise<T>) {
  const server = createServer({
    transport: wsTransport as never,
    auth: { anonymous: true },
    heartbeatMs: 0,
    roomGraceMs: 60_000,
    ...options,
  } as ServerOptions)
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' })
  try {
    return await run(`ws://127.0.0.1:${port}/ws`, server)
  } finally {
    await server.close({ graceMs: 200 })
  }
}

function until(room: Room, offset: number): Promise<void> {
  return new Promise((resolve) => {
    if (room.offset >= offset) return resolve()
    const off = room.on('message', (m) => {
      if (m.offset < offset) return
      off()
      resolve()
    })
  })
}

async function endToEnd(n: number): Promise<number> {
  return withServer({}, async (url, server) => {
    const client: Client = connect(url, { WebSocket: WebSocket as never })
    const room = await client.join('bench', { username: 'reader' })
    const start = performance.now()
    for (let i = 0; i < n; i++) server.broadcast('bench', { text: `message ${i}`, from: 'server' })
    await until(room, n)
    const ms = performance.now() - start
    client.close()
    return (n / ms) * 1000
  })
}

async function recovery(n: number): Promise<number> {
  return withServer({ historySize: n }, async (url, server) => {
    const client: Client = connect(url, {
      WebSocket: WebSocket as never,
      reconnect: { minMs: 200, maxMs: 200, factor: 1, jitter: 0 },
    })
    const room = await client.join('bench', { username: 'reader' })
    const away = new Promise((resolve) => client.once('reconnecting', resolve))
    const record = server.connection(client.welcome!.connectionId) as { socket: { terminate(): void } }
    record.socket.terminate()
    await away
    for (let i = 0; i < n; i++) server.broadcast('bench', { text: `missed ${i}`, from: 'server' })
    // The client comes back 200 ms later; the room sequences the 1,000 casts well before that.
    const welcomed = new Promise<number>((resolve) => client.once('open', () => resolve(performance.now())))
    const done = until(room, n)
    const start = await welcomed
    await done
    const ms = performance.now() - start
    client.close()
    return ms
  })
}

const results: Record<string, number[]> = { parse: [], frames: [], endToEnd: [], recovery: [] }
const frames = messageFrames(200_000)
for (let r = 0; r < rounds; r++) {
  results.parse!.push(parseOnly(frames))
  results.frames!.push(await frameHandling(frames))
  results.endToEnd!.push(await endToEnd(20_000))
  results.recovery!.push(await recovery(1_000))
}
const best = {
  jsonParseFloorPerSec: Math.round(Math.max(...results.parse!)),
  framesPerSec: Math.round(Math.max(...results.frames!)),
  endToEndMessagesPerSec: Math.round(Math.max(...results.endToEnd!)),
  recover1000Ms: Number(Math.min(...results.recovery!).toFixed(1)),
}
console.log('measure                                        best of', rounds)
console.log(
  `floor: JSON.parse of the same frames              ${best.jsonParseFloorPerSec.toLocaleString()} frames/s`,
)
console.log(`client frame handling (parse+check+dedup+emit)  ${best.framesPerSec.toLocaleString()} frames/s`)
console.log(
  `end to end, ws transport, one process           ${best.endToEndMessagesPerSec.toLocaleString()} messages/s`,
)
console.log(
  `recover 1,000 missed messages after reconnect   ${best.recover1000Ms} ms (welcome → last delivered)`,
)
console.log(JSON.stringify(best))
