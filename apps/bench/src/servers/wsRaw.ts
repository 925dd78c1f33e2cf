import { createServer } from 'node:http'
import { WebSocket, WebSocketServer } from 'ws'
import type { BenchServerFactory } from './BenchServer.js'

/** Raw `ws`: what a user writes without Hubbub, a loop of `send` over the subscribers. */
export const wsRaw: BenchServerFactory = async () => {
  const server = createServer()
  const wss = new WebSocketServer({ server, path: '/ws', perMessageDeflate: false })
  const subscribers = new Set<WebSocket>()
  wss.on('connection', (ws) => {
    subscribers.add(ws)
    ws.on('close', () => subscribers.delete(ws))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const address = server.address()
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    subscribers: () => subscribers.size,
    publish(data) {
      for (const ws of subscribers) if (ws.readyState === WebSocket.OPEN) ws.send(data)
    },
    async close() {
      for (const ws of subscribers) ws.terminate()
      wss.close()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}
