import { once } from 'node:events'
import { type Socket, connect as tcpConnect } from 'node:net'
import type { Connection, Transport, TransportOptions } from '@hubbub/transport'
import { onTestFinished } from 'vitest'
import WebSocket from 'ws'
import { uwsTransport } from '../src/index.js'

/** A listening transport on port 0, closed when the test finishes. */
export async function start<I = unknown>(options: TransportOptions<I> = {}) {
  const transport: Transport<I> = uwsTransport<I>(options)
  const connections: Connection<I>[] = []
  transport.onConnection((c) => connections.push(c))
  const { port } = await transport.listen({ port: 0 })
  onTestFinished(() => transport.close({ graceMs: 100 }))
  return { transport, port, connections, url: `ws://127.0.0.1:${port}/ws` }
}

/** A `ws` client, terminated when the test finishes. */
export function client(url: string, protocols?: string | string[], options: WebSocket.ClientOptions = {}) {
  const ws = new WebSocket(url, protocols, options)
  ws.on('error', () => {})
  onTestFinished(() => ws.terminate())
  return ws
}

export async function opened(ws: WebSocket): Promise<WebSocket> {
  if (ws.readyState !== WebSocket.OPEN) await once(ws, 'open')
  return ws
}

/** Resolves with the HTTP status of a refused handshake. */
export function refusedStatus(ws: WebSocket): Promise<number> {
  return new Promise((resolve, reject) => {
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
    ws.on('open', () => reject(new Error('handshake unexpectedly accepted')))
  })
}

export function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  )
}

export function serverClosed(c: Connection<any>): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => c.onClose((code, reason) => resolve({ code, reason })))
}

export async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** A raw TCP client that completes the handshake by hand, to write frames `ws` would refuse to send. */
export async function rawClient(port: number): Promise<{ socket: Socket; head: string }> {
  const socket = tcpConnect(port, '127.0.0.1')
  onTestFinished(() => {
    socket.destroy()
  })
  await once(socket, 'connect')
  socket.write(
    'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  )
  let head = ''
  while (!head.includes('\r\n\r\n')) {
    const [chunk] = (await once(socket, 'data')) as [Buffer]
    head += chunk.toString('latin1')
  }
  return { socket, head }
}
