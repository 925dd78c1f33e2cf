import { createServer } from 'node:http'
import type { Socket } from 'node:net'
import { type WebSocket, WebSocketServer } from 'ws'
import type { BenchServerFactory } from './BenchServer.js'

/**
 * Reference point, not a product: raw `ws` with the frame built once per publish and
 * written straight to each socket, with no limits or bookkeeping. The floor the ws adapter approaches.
 */
export const wsFrameOnce: BenchServerFactory = async () => {
  const server = createServer()
  const wss = new WebSocketServer({ server, path: '/ws', perMessageDeflate: false })
  const sockets = new Set<Socket>()
  wss.on('connection', (ws) => {
    const socket = (ws as WebSocket & { _socket: Socket })._socket
    sockets.add(socket)
    ws.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const address = server.address()
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    subscribers: () => sockets.size,
    publish(data) {
      const payload = Buffer.from(data)
      const header = payload.length < 126 ? 2 : 4
      const frame = Buffer.allocUnsafe(header + payload.length)
      frame[0] = 0x81
      if (header === 2) frame[1] = payload.length
      else {
        frame[1] = 126
        frame.writeUInt16BE(payload.length, 2)
      }
      payload.copy(frame, header)
      for (const socket of sockets) socket.write(frame)
    },
    async close() {
      for (const ws of wss.clients) ws.terminate()
      wss.close()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}
