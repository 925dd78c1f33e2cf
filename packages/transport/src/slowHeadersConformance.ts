import { connect, type Socket } from 'node:net'
import { describe, expect, onTestFinished, test } from 'vitest'
import type { Connection, Transport, TransportOptions } from './Transport.js'
import { RawClient } from './testing/RawClient.js'
import { waitFor } from './testing/waitFor.js'

/** How an adapter bounds the header phase of a request. */
export interface SlowHeadersBehaviour {
  /**
   * The header-phase bound in ms when the library fixes it (uWS: 10 s, not configurable);
   * undefined when `handshakeTimeoutMs` sets it.
   */
  fixedTimeoutMs?: number
  /** What the peer reads before the socket ends: a 408 response, or nothing. */
  answer: 408 | 'nothing'
}

export interface SlowHeadersTarget {
  create<I = unknown>(options?: TransportOptions<I>): Transport<I>
  slowHeaders?: SlowHeadersBehaviour
}

interface Trickle {
  socket: Socket
  /** Everything the server wrote back. */
  received: () => string
  ended: Promise<void>
  stop(): void
}

/** Opens a TCP socket and writes an upgrade request's headers one byte every `everyMs`, never finishing them. */
function trickleHeaders(port: number, everyMs: number): Trickle {
  const socket = connect({ port, host: '127.0.0.1' })
  const request =
    `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nX-Padding: ' +
    'a'.repeat(10_000)
  let sent = 0
  let received = ''
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1')
  })
  socket.on('error', () => {})
  const timer = setInterval(() => {
    if (socket.destroyed || sent >= request.length) return
    socket.write(request[sent++] as string)
  }, everyMs)
  const ended = new Promise<void>((resolve) =>
    socket.on('close', () => {
      clearInterval(timer)
      resolve()
    }),
  )
  return {
    socket,
    received: () => received,
    ended,
    stop() {
      clearInterval(timer)
      socket.destroy()
    },
  }
}

/**
 * Slowloris: sockets that send their handshake headers a byte at a time must be cut
 * once the header phase outlives its bound (`handshakeTimeoutMs`, or the library's
 * fixed one), while established connections carry on.
 */
export function runSlowHeadersConformance(target: SlowHeadersTarget): void {
  const behaviour = target.slowHeaders ?? { answer: 408 }
  describe('slow headers (slowloris)', () => {
    test(`headers sent a byte at a time are cut (${behaviour.answer === 408 ? '408' : 'no answer'}); open connections stay`, async () => {
      const handshakeTimeoutMs = 300
      const transport = target.create({ handshakeTimeoutMs, heartbeat: { intervalMs: 0 } })
      const connections: Connection[] = []
      transport.onConnection((c) => {
        connections.push(c)
        c.onMessage((data) => c.send(data))
      })
      const { port } = await transport.listen({ port: 0, host: '127.0.0.1' })
      const trickles: Trickle[] = []
      let established: RawClient | undefined
      onTestFinished(async () => {
        for (const t of trickles) t.stop()
        established?.destroy()
        await transport.close({ graceMs: 0 })
      })
      established = await RawClient.connect(port)
      await waitFor(() => connections.length === 1, 5000, 'the established connection')
      const started = performance.now()
      for (let i = 0; i < 10; i++) trickles.push(trickleHeaders(port, 20))
      const bound = behaviour.fixedTimeoutMs ?? handshakeTimeoutMs
      // generous: the server's own check runs on a coarse timer, and the machine may be busy
      const all = Promise.all(trickles.map((t) => t.ended))
      await expect(
        Promise.race([
          all.then(() => 'cut'),
          new Promise((r) => setTimeout(() => r('still open'), bound * 2 + 10_000)),
        ]),
      ).resolves.toBe('cut')
      const tookMs = performance.now() - started
      for (const t of trickles) {
        if (behaviour.answer === 408) expect(t.received()).toMatch(/^HTTP\/1\.1 408 /)
        else expect(t.received()).toBe('')
      }
      console.log(`[slowloris] 10 trickling sockets cut after ${Math.round(tookMs)} ms (bound ${bound} ms)`)
      // the established connection outlived the header bound and still works
      expect(established.isClosed).toBe(false)
      established.send('still here')
      expect((await established.next()).data).toBe('still here')
    }, 60_000)
  })
}
