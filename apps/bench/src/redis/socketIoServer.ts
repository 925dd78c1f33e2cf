import { createServer } from 'node:http'
import type { RunningServer } from '../server/benchTransport.js'

/**
 * The peer row of the Redis bench: Socket.IO 4 (its default engine, `ws` underneath), one
 * namespace, `join` puts a socket in a room and acknowledges, `message` is sent to the whole room
 * (sender included, as Hubbub does) with `io.to(room).emit`. With `redis`, the nodes share rooms
 * through `@socket.io/redis-adapter` (ioredis clients, channel prefix `prefix`).
 * Heartbeats are pushed out of the measured window, like the Hubbub rows' (`heartbeatMs: 0`).
 */
export async function startSocketIo(redis?: string, prefix = 'bench'): Promise<RunningServer> {
  const { Server } = await import('socket.io')
  const http = createServer()
  const io = new Server(http, { transports: ['websocket'], pingInterval: 600_000, pingTimeout: 600_000 })
  let clients: Array<{ quit(): Promise<unknown> }> = []
  if (redis !== undefined) {
    const [{ createAdapter }, { Redis }] = await Promise.all([
      import('@socket.io/redis-adapter'),
      import('ioredis'),
    ])
    const pub = new Redis(redis)
    const sub = pub.duplicate()
    clients = [pub, sub]
    io.adapter(createAdapter(pub, sub, { key: `${prefix}:sio` }))
  }
  io.on('connection', (socket) => {
    socket.on('join', (room: string, ack?: () => void) => {
      void Promise.resolve(socket.join(room)).then(() => ack?.())
    })
    socket.on('message', (msg: { roomId: string; text: string }) => {
      io.to(msg.roomId).emit('message', msg)
    })
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const { port } = http.address() as { port: number }
  return {
    port,
    async close() {
      await new Promise((resolve) => io.close(resolve))
      await Promise.all(clients.map((c) => c.quit()))
    },
  }
}
