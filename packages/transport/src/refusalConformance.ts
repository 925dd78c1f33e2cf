import { connect } from 'node:net'
import { describe, expect, onTestFinished, test } from 'vitest'
import type { Transport, TransportOptions } from './Transport.js'
import { upgradeStatus } from './testing/RawClient.js'

/** Malformed or hostile upgrade requests the kit sends over raw TCP. */
export type RefusalName =
  | 'oversizedHeader'
  | 'oversizedProtocolList'
  | 'duplicateProtocolHeaders'
  | 'missingKey'
  | 'invalidKey'
  | 'wrongVersion'
  | 'notGet'
  | 'garbageRequestLine'

/** The HTTP status the peer reads, or `'closed'` when the socket ends with no answer (within 20 s). */
export type RefusalAnswer = number | 'closed'

/** What node's HTTP parser and ws's handshake checks answer (the `ws` adapter). */
export const defaultRefusals: Record<RefusalName, RefusalAnswer> = {
  oversizedHeader: 431,
  oversizedProtocolList: 431,
  duplicateProtocolHeaders: 431,
  missingKey: 400,
  invalidKey: 400,
  wrongVersion: 400,
  notGet: 405,
  garbageRequestLine: 400,
}

const key = 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
const version = 'Sec-WebSocket-Version: 13\r\n'
const request = (extra: string, opts: { key?: string; version?: string; method?: string } = {}) =>
  `${opts.method ?? 'GET'} /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  `${opts.key ?? key}${opts.version ?? version}${extra}\r\n`

const requests: Record<RefusalName, [title: string, bytes: string]> = {
  oversizedHeader: ['one 20 KB header', request(`X-Big: ${'a'.repeat(20_000)}\r\n`)],
  oversizedProtocolList: [
    'a 32 KB subprotocol list',
    request(
      `Sec-WebSocket-Protocol: ${Array.from({ length: 5000 }, (_, i) => `p${i}`)
        .join(', ')
        .slice(0, 32 * 1024)}\r\n`,
    ),
  ],
  duplicateProtocolHeaders: [
    '2,000 duplicate subprotocol headers',
    request('Sec-WebSocket-Protocol: a\r\n'.repeat(2000)),
  ],
  missingKey: ['no Sec-WebSocket-Key', request('', { key: '' })],
  invalidKey: [
    'a Sec-WebSocket-Key that is not 16 bytes',
    request('', { key: 'Sec-WebSocket-Key: abc\r\n' }),
  ],
  wrongVersion: ['Sec-WebSocket-Version 12', request('', { version: 'Sec-WebSocket-Version: 12\r\n' })],
  notGet: ['a POST upgrade', request('', { method: 'POST' })],
  garbageRequestLine: ['a request line that is not HTTP', 'HELLO WORLD\r\n\r\n'],
}

/** Writes `bytes` and resolves with the status line's code, or 'closed' when the server ends the socket silently. */
function answer(port: number, bytes: string): Promise<RefusalAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' })
    let got = ''
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no answer and no close within 20 s (got ${JSON.stringify(got)})`))
    }, 20_000)
    socket.on('data', (chunk: Buffer) => {
      got += chunk.toString('latin1')
      const line = got.indexOf('\r\n')
      if (line < 0) return
      clearTimeout(timer)
      socket.destroy()
      resolve(Number(got.slice(0, line).split(' ')[1]))
    })
    socket.on('error', () => {})
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(got === '' ? 'closed' : Number(got.split(' ')[1]))
    })
    socket.write(bytes)
  })
}

export interface RefusalTarget {
  create<I = unknown>(options?: TransportOptions<I>): Transport<I>
  /** Where the library's answer differs from `defaultRefusals` (native code no hook reaches). */
  refusals?: Partial<Record<RefusalName, RefusalAnswer>>
}

/** One answer per refusal: each malformed upgrade gets its documented status (or a silent close), and the server stays up. */
export function runRefusalConformance(target: RefusalTarget): void {
  const expected = { ...defaultRefusals, ...target.refusals }
  describe('malformed upgrades', () => {
    for (const [name, [title, bytes]] of Object.entries(requests) as Array<[RefusalName, [string, string]]>) {
      const want = expected[name]
      test(`${title} → ${want === 'closed' ? 'closed without an answer' : want}`, async () => {
        const transport: Transport = target.create({ heartbeat: { intervalMs: 0 } })
        transport.onConnection((c) => c.close(1000))
        const { port } = await transport.listen({ port: 0, host: '127.0.0.1' })
        onTestFinished(() => transport.close({ graceMs: 0 }))
        expect(await answer(port, bytes)).toBe(want)
        expect(transport.connections).toBe(0)
        expect(await upgradeStatus(port)).toBe(101)
      }, 30_000)
    }
  })
}
