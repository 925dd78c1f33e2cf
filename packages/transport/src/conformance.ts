import { request } from 'node:http'
import { describe, expect, onTestFinished, test } from 'vitest'
import { type RefusalAnswer, type RefusalName, runRefusalConformance } from './refusalConformance.js'
import { runSlowConsumerConformance } from './slowConsumerConformance.js'
import { runSlowHeadersConformance, type SlowHeadersBehaviour } from './slowHeadersConformance.js'
import type { Connection, Transport, TransportOptions } from './Transport.js'
import { Opcode } from './testing/encodeFrame.js'
import { RawClient, type RawUpgradeOptions, upgradeStatus } from './testing/RawClient.js'
import { waitFor } from './testing/waitFor.js'

export { defaultRefusals, type RefusalAnswer, type RefusalName } from './refusalConformance.js'
export type { SlowHeadersBehaviour } from './slowHeadersConformance.js'
export * from './testing/index.js'

/** The protocol-violation probes the kit sends with its raw framer. */
export type ProbeName =
  | 'unmaskedFrame'
  | 'reservedOpcode'
  | 'rsvWithoutExtension'
  | 'orphanContinuation'
  | 'oversizePing'
  | 'manyFragments'

/**
 * What a probe must get: a close code, or `'delivered'` when the library
 * honestly accepts the input as a message (documented in the adapter README).
 */
export type ProbeExpectation = number | 'delivered'

/** RFC 6455 codes, and ws's default fragment limit (16,384 fragments → 1008). */
export const defaultProbeCloseCodes: Record<ProbeName, ProbeExpectation> = {
  unmaskedFrame: 1002,
  reservedOpcode: 1002,
  rsvWithoutExtension: 1002,
  orphanContinuation: 1002,
  oversizePing: 1002,
  manyFragments: 1008,
}

/** An adapter under test: how to build one transport with given options. */
export interface ConformanceTarget {
  /** Suite title, e.g. 'ws' or 'uws'. */
  name: string
  create<I = unknown>(options?: TransportOptions<I>): Transport<I>
  /** Where the library's honest answer to a probe differs from `defaultProbeCloseCodes`. */
  probeCloseCodes?: Partial<Record<ProbeName, ProbeExpectation>>
  /** Where the answer to a malformed upgrade differs from `defaultRefusals`. */
  refusals?: Partial<Record<RefusalName, RefusalAnswer>>
  /** How the library bounds slow headers; default: `handshakeTimeoutMs`, answered with 408. */
  slowHeaders?: SlowHeadersBehaviour
}

interface Started<I> {
  transport: Transport<I>
  port: number
  /** Opens a raw client that is destroyed when the test ends. */
  client(options?: RawUpgradeOptions): Promise<RawClient>
  /** Every connection the transport handed to `onConnection`, in order. */
  connections: Connection<I>[]
  /** Closes the transport once (the teardown hook then does nothing). */
  close(graceMs?: number): Promise<void>
}

async function start<I>(
  target: ConformanceTarget,
  options?: TransportOptions<I>,
  setup?: (transport: Transport<I>) => void,
): Promise<Started<I>> {
  const transport = target.create<I>(options)
  const connections: Connection<I>[] = []
  transport.onConnection((c) => connections.push(c))
  setup?.(transport)
  const { port } = await transport.listen({ port: 0, host: '127.0.0.1' })
  let closing: Promise<void> | undefined
  const close = (graceMs = 0): Promise<void> => {
    closing ??= transport.close({ graceMs })
    return closing
  }
  const clients: RawClient[] = []
  onTestFinished(async () => {
    for (const c of clients) c.destroy()
    await close()
  })
  return {
    transport,
    port,
    connections,
    close,
    async client(opts) {
      const c = await RawClient.connect(port, opts)
      clients.push(c)
      return c
    },
  }
}

const echo = (transport: Transport<unknown>): void =>
  transport.onConnection((c) => c.onMessage((data) => c.send(data)))

function httpCall(
  port: number,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    // agent: false, so no keep-alive socket outlives the test
    const req = request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString(),
          headers: res.headers,
        }),
      )
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** Checks that the server survived: a fresh upgrade still gets 101. */
async function expectServerUp(s: Started<unknown>): Promise<void> {
  expect(await upgradeStatus(s.port)).toBe(101)
}

/**
 * Registers the whole transport conformance suite (vitest `describe`/`test`)
 * against one adapter. An adapter's test file is one call to this.
 */
export function runTransportConformance(target: ConformanceTarget): void {
  const probes = { ...defaultProbeCloseCodes, ...target.probeCloseCodes }

  describe(`transport conformance: ${target.name}`, () => {
    test('trustProxy: X-Forwarded-For names the client only when the peer is a trusted proxy', async () => {
      const xff = { 'x-forwarded-for': '203.0.113.9, 10.1.2.3' }
      const untrusted = await start(target, {}, echo)
      await untrusted.client({ headers: xff })
      await waitFor(() => untrusted.connections.length === 1)
      expect(untrusted.connections[0]!.remoteAddress).toBe('127.0.0.1')
      // Loopback is the proxy, 10.0.0.0/8 a second trusted hop: the client is the first address past them.
      const trusted = await start(target, { trustProxy: ['127.0.0.1', '10.0.0.0/8'] }, echo)
      await trusted.client({ headers: xff })
      await trusted.client({ headers: { 'x-forwarded-for': 'not-an-address, 198.51.100.4' } })
      await trusted.client()
      await waitFor(() => trusted.connections.length === 3)
      expect(trusted.connections.map((c) => c.remoteAddress).sort()).toEqual(
        ['127.0.0.1', '198.51.100.4', '203.0.113.9'].sort(),
      )
    })

    test('connects, echoes text, and reports connection fields', async () => {
      const s = await start(target, {}, echo)
      const c = await s.client()
      c.send('hello')
      expect(await c.next()).toEqual({ data: 'hello', binary: false })
      await waitFor(() => s.connections.length === 1)
      const conn = s.connections[0] as Connection
      expect(typeof conn.id).toBe('string')
      expect(conn.remoteAddress).toContain('127.0.0.1')
      expect(conn.protocol).toBe('')
      expect(conn.identity).toBeUndefined()
      expect(conn.isOpen).toBe(true)
      expect(s.transport.connections).toBe(1)
      expect(s.transport.name).toBe(target.name)
    })

    test('server close(code, reason) reaches the client; client close reaches onClose', async () => {
      const s = await start(target)
      const a = await s.client()
      const b = await s.client()
      await waitFor(() => s.connections.length === 2)
      const [ca, cb] = s.connections as [Connection, Connection]
      expect(ca.id).not.toBe(cb.id)
      const closedA = new Promise<[number, string]>((r) => ca.onClose((code, reason) => r([code, reason])))
      ca.close(4000, 'bye')
      expect(await a.closed).toEqual({ code: 4000, reason: 'bye' })
      expect(await closedA).toEqual([4000, 'bye'])
      const closedB = new Promise<[number, string]>((r) => cb.onClose((code, reason) => r([code, reason])))
      b.close(1000, 'done')
      expect(await closedB).toEqual([1000, 'done'])
      await waitFor(() => s.transport.connections === 0, 5000, 'connections to reach 0')
      expect(cb.isOpen).toBe(false)
    })

    test('binary flag: binary in is binary, Uint8Array out is binary, string out is text', async () => {
      const seen: Array<[unknown, boolean]> = []
      const s = await start(target, {}, (t) =>
        t.onConnection((c) =>
          c.onMessage((data, isBinary) => {
            seen.push([data, isBinary])
            c.send(data)
            c.send(isBinary ? 'was binary' : new Uint8Array([1, 2, 3]))
          }),
        ),
      )
      const c = await s.client()
      c.send(new Uint8Array([0, 255, 7]))
      const back = await c.next()
      expect(back.binary).toBe(true)
      expect([...(back.data as Buffer)]).toEqual([0, 255, 7])
      expect(await c.next()).toEqual({ data: 'was binary', binary: false })
      c.send('txt')
      expect(await c.next()).toEqual({ data: 'txt', binary: false })
      const bin = await c.next()
      expect(bin.binary).toBe(true)
      expect([...(bin.data as Buffer)]).toEqual([1, 2, 3])
      expect(seen[0]?.[1]).toBe(true)
      expect(seen[0]?.[0]).toBeInstanceOf(Uint8Array)
      expect(seen[1]).toEqual(['txt', false])
      // publish keeps the flag too
      await waitFor(() => s.connections.length === 1)
      s.connections[0]?.subscribe('t')
      s.transport.publish('t', new Uint8Array([9]))
      s.transport.publish('t', 'nine')
      const p1 = await c.next()
      expect(p1.binary).toBe(true)
      expect([...(p1.data as Buffer)]).toEqual([9])
      expect(await c.next()).toEqual({ data: 'nine', binary: false })
    })

    describe('subprotocol negotiation', () => {
      const selectProtocol = (offered: readonly string[]): string | null =>
        offered.includes('hubbub.v1') ? 'hubbub.v1' : offered.length === 0 ? '' : null

      test('the selectProtocol callback picks from the offered list', async () => {
        const s = await start(target, { selectProtocol })
        const c = await s.client({ protocols: ['chat', 'hubbub.v1'] })
        expect(c.protocol).toBe('hubbub.v1')
        await waitFor(() => s.connections.length === 1)
        expect(s.connections[0]?.protocol).toBe('hubbub.v1')
      })

      test('offering none connects with protocol ""', async () => {
        const s = await start(target, { selectProtocol })
        const c = await s.client()
        expect(c.headers['sec-websocket-protocol']).toBeUndefined()
        await waitFor(() => s.connections.length === 1)
        expect(s.connections[0]?.protocol).toBe('')
      })

      test('offering only unknown protocols is refused with 400 and no connection', async () => {
        const s = await start(target, { selectProtocol })
        expect(await upgradeStatus(s.port, { protocols: ['mqtt', 'stomp'] })).toBe(400)
        expect(s.connections).toHaveLength(0)
        await expectServerUp(s as Started<unknown>)
      })

      test('without a callback the first offered protocol is chosen', async () => {
        const s = await start(target)
        const c = await s.client({ protocols: ['a.v2', 'a.v1'] })
        expect(c.protocol).toBe('a.v2')
      })
    })

    test('1,000 subscribers each receive one publish exactly once, and nothing after unsubscribing', async () => {
      const s = await start(target, {}, (t) => t.onConnection((c) => c.subscribe('room')))
      const clients: RawClient[] = []
      for (let i = 0; i < 1000; i += 100) {
        clients.push(...(await Promise.all(Array.from({ length: 100 }, () => s.client()))))
      }
      await waitFor(() => s.connections.length === 1000, 10_000, '1,000 connections')
      expect(s.transport.connections).toBe(1000)
      expect(s.connections.every((c) => c.isSubscribed('room'))).toBe(true)
      s.transport.publish('room', 'once')
      await Promise.all(clients.map((c) => c.waitForMessages(1)))
      for (const conn of s.connections) conn.unsubscribe('room')
      expect(s.connections.some((c) => c.isSubscribed('room'))).toBe(false)
      s.transport.publish('room', 'after unsubscribe')
      // a direct send after the publish: if the publish had arrived, it would come first
      for (const conn of s.connections) conn.send('end')
      await Promise.all(clients.map((c) => c.waitForMessages(2)))
      for (const c of clients) expect(c.messages.map((m) => m.data)).toEqual(['once', 'end'])
    })

    test('publish to a topic with no subscribers is a no-op', async () => {
      const s = await start(target)
      const c = await s.client()
      await waitFor(() => s.connections.length === 1)
      const conn = s.connections[0] as Connection
      conn.subscribe('a')
      expect(() => s.transport.publish('nobody', 'x')).not.toThrow()
      expect(() => s.transport.publish('nobody', new Uint8Array([1]))).not.toThrow()
      conn.send('end')
      expect(await c.next()).toEqual({ data: 'end', binary: false })
      expect(c.messages).toHaveLength(1)
    })

    test('an oversize frame is closed with 1009; a frame at the limit is accepted', async () => {
      const s = await start(target, { maxPayload: 1024 }, echo)
      const ok = await s.client()
      ok.send('a'.repeat(1024))
      expect(((await ok.next()).data as string).length).toBe(1024)
      const c = await s.client()
      c.send('a'.repeat(1025))
      expect((await c.closed).code).toBe(1009)
      await expectServerUp(s as Started<unknown>)
    })

    test('invalid UTF-8 in a text frame is closed with 1007', async () => {
      const s = await start(target, {}, echo)
      const c = await s.client()
      c.sendFrame({ opcode: Opcode.text, payload: new Uint8Array([0x68, 0xff, 0xfe, 0x69]) })
      expect((await c.closed).code).toBe(1007)
      await expectServerUp(s as Started<unknown>)
    })

    describe('upgrade pipeline', () => {
      test('origin: refused with 403 for null, a look-alike suffix and unlisted origins', async () => {
        const s = await start(target, { allowedOrigins: ['https://allowed.example.com'] })
        expect(await upgradeStatus(s.port, { origin: 'null' })).toBe(403)
        expect(await upgradeStatus(s.port, { origin: 'https://allowed.example.com.evil' })).toBe(403)
        expect(await upgradeStatus(s.port, { origin: 'https://evil.example.com' })).toBe(403)
        expect(s.connections).toHaveLength(0)
        expect(await upgradeStatus(s.port, { origin: 'https://allowed.example.com' })).toBe(101)
      })

      test('origin default: same host only, null refused, no Origin allowed', async () => {
        const s = await start(target)
        expect(await upgradeStatus(s.port, { origin: `http://127.0.0.1:${s.port}` })).toBe(101)
        expect(await upgradeStatus(s.port, { origin: 'http://evil.example' })).toBe(403)
        expect(await upgradeStatus(s.port, { origin: 'null' })).toBe(403)
        expect(await upgradeStatus(s.port)).toBe(101)
      })

      test('authenticate: a throw (sync or async) is 401 with no connection handler call', async () => {
        let handlerCalls = 0
        const s = await start<{ user: string }>(
          target,
          {
            authenticate: async (req) => {
              await new Promise((r) => setTimeout(r, 5))
              if (req.headers['x-token'] === 'sync-bad') throw new Error('bad token')
              if (req.headers['x-token'] !== 'good') throw new Error('no token')
              return { user: req.query.get('u') ?? 'anon' }
            },
          },
          (t) => t.onConnection(() => handlerCalls++),
        )
        expect(await upgradeStatus(s.port)).toBe(401)
        expect(await upgradeStatus(s.port, { headers: { 'x-token': 'sync-bad' } })).toBe(401)
        expect(handlerCalls).toBe(0)
        expect(s.transport.connections).toBe(0)
        await s.client({ path: '/ws?u=ada', headers: { 'x-token': 'good' } })
        await waitFor(() => s.connections.length === 1)
        expect(handlerCalls).toBe(1)
        expect(s.connections[0]?.identity).toEqual({ user: 'ada' })
      })

      test('a synchronous authenticate throw is 401 too', async () => {
        const s = await start(target, {
          authenticate: () => {
            throw new Error('nope')
          },
        })
        expect(await upgradeStatus(s.port)).toBe(401)
        expect(s.connections).toHaveLength(0)
      })

      test('per-IP cap: the connection beyond the cap gets 429; a freed slot is reusable', async () => {
        const s = await start(target, { maxConnectionsPerIp: 2 })
        const a = await s.client()
        await s.client()
        expect(await upgradeStatus(s.port)).toBe(429)
        expect(s.transport.connections).toBe(2)
        a.close()
        await waitFor(() => s.transport.connections === 1, 5000, 'the freed slot')
        await s.client()
        expect(s.transport.connections).toBe(2)
      })

      test('a path other than the WebSocket path is 404', async () => {
        const s = await start(target, { path: '/socket' })
        expect(await upgradeStatus(s.port, { path: '/ws' })).toBe(404)
        expect(await upgradeStatus(s.port, { path: '/socket' })).toBe(101)
      })

      test('handshake timeout: an upgrade stuck in authenticate is refused with 408', async () => {
        let handlerCalls = 0
        const s = await start(
          target,
          { handshakeTimeoutMs: 150, authenticate: () => new Promise<never>(() => {}) },
          (t) => t.onConnection(() => handlerCalls++),
        )
        expect(await upgradeStatus(s.port)).toBe(408)
        expect(handlerCalls).toBe(0)
      })
    })

    test('heartbeat terminates a peer that stops answering pings; a live peer stays', async () => {
      const s = await start(target, { heartbeat: { intervalMs: 100, missedLimit: 2 } })
      const live = await s.client()
      const dead = await s.client()
      dead.pause() // never reads, so never answers a ping
      await waitFor(() => s.connections.length === 2)
      const deadConn = s.connections[1] as Connection
      const closed = new Promise<number>((r) => deadConn.onClose((code) => r(code)))
      expect(await closed).toBe(1006)
      await waitFor(() => s.transport.connections === 1, 5000, 'the dead peer to be gone')
      expect(live.isClosed).toBe(false)
      expect(s.connections[0]?.isOpen).toBe(true)
    })

    runSlowConsumerConformance(target)
    runSlowHeadersConformance(target)
    runRefusalConformance(target)

    describe('backpressure', () => {
      const chunk = 'x'.repeat(32 * 1024)

      /** Publishes one chunk at a time, waiting for the fast peer, until `done` or a cap. */
      async function flood(s: Started<unknown>, fast: RawClient, done: () => boolean): Promise<number> {
        let published = 0
        while (!done() && published < 4000) {
          s.transport.publish('feed', chunk)
          published++
          await fast.waitForMessages(published)
        }
        return published
      }

      test("'close' closes only the slow peer with 1013; a fast peer on the topic gets everything", async () => {
        const s = await start(target, { backpressure: 'close', maxBackpressure: 256 * 1024 }, (t) =>
          t.onConnection((c) => c.subscribe('feed')),
        )
        const fast = await s.client()
        const slow = await s.client()
        slow.pause()
        await waitFor(() => s.connections.length === 2)
        const slowConn = s.connections[1] as Connection
        let slowCode = 0
        slowConn.onClose((code) => {
          slowCode = code
        })
        let published = await flood(s as Started<unknown>, fast, () => slowCode !== 0 || !slowConn.isOpen)
        await waitFor(() => slowCode !== 0, 10_000, 'the slow peer to be closed')
        expect(slowCode).toBe(1013)
        for (let i = 0; i < 5; i++, published++) s.transport.publish('feed', chunk)
        await fast.waitForMessages(published)
        expect(fast.messages).toHaveLength(published)
        expect(fast.isClosed).toBe(false)
        expect(s.connections[0]?.isOpen).toBe(true)
        await waitFor(() => s.transport.connections === 1, 5000, 'the slow peer to be gone')
      })

      test("'drop' drops and counts on the slow peer only, reports each drop, and drains", async () => {
        const drops: Array<string | undefined> = []
        const s = await start(target, { backpressure: 'drop', maxBackpressure: 256 * 1024 }, (t) =>
          t.onConnection((c) => {
            c.subscribe('feed')
            c.onDrop((_data, topic) => drops.push(topic))
          }),
        )
        const fast = await s.client()
        const slow = await s.client()
        slow.pause()
        await waitFor(() => s.connections.length === 2)
        const [fastConn, slowConn] = s.connections as [Connection, Connection]
        let drained = false
        slowConn.onDrain(() => {
          drained = true
        })
        let published = await flood(s as Started<unknown>, fast, () => slowConn.droppedCount > 0)
        for (let i = 0; i < 5; i++) {
          s.transport.publish('feed', chunk)
          published++
          await fast.waitForMessages(published)
        }
        expect(slowConn.droppedCount).toBeGreaterThanOrEqual(5)
        expect(slowConn.send(chunk)).toBe('dropped')
        expect(drops.filter((t) => t === 'feed')).toHaveLength(slowConn.droppedCount - 1)
        expect(drops.at(-1)).toBeUndefined()
        expect(fastConn.droppedCount).toBe(0)
        expect(fast.messages).toHaveLength(published)
        expect(slowConn.isOpen).toBe(true)
        slow.resume()
        await waitFor(() => drained, 10_000, 'onDrain after the slow peer reads')
        // everything not dropped arrives, in order, and the connection works again
        await slow.waitForMessages(published - (slowConn.droppedCount - 1))
        expect(slowConn.send('after drain')).not.toBe('dropped')
        await slow.waitForMessages(published - (slowConn.droppedCount - 1) + 1)
        expect(slow.messages.at(-1)?.data).toBe('after drain')
      })
    })

    test('graceful close({graceMs}) closes every connection with 1001 and resolves', async () => {
      const s = await start(target)
      const clients = await Promise.all([s.client(), s.client(), s.client()])
      const stuck = await s.client()
      stuck.pause() // never reads the close frame: terminated after graceMs
      await waitFor(() => s.connections.length === 4)
      const serverCodes: number[] = []
      for (const c of s.connections) c.onClose((code) => serverCodes.push(code))
      await s.close(300)
      for (const c of clients) expect((await c.closed).code).toBe(1001)
      expect(s.transport.connections).toBe(0)
      expect(serverCodes.filter((c) => c === 1001).length).toBeGreaterThanOrEqual(3)
      expect(serverCodes).toHaveLength(4)
    })

    describe('http handler', () => {
      test('serves routes, reads a POST body, falls through handlers in order, 404s the rest', async () => {
        const s = await start(target, {}, (t) => {
          t.http((req) =>
            req.method === 'GET' && req.path === '/hello'
              ? {
                  status: 200,
                  headers: { 'content-type': 'text/plain' },
                  body: `hi ${req.query.get('n') ?? ''}`,
                }
              : undefined,
          )
          t.http(async (req) => {
            if (req.method !== 'POST' || req.path !== '/echo') return undefined
            await new Promise((r) => setTimeout(r, 1))
            return {
              status: 201,
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({
                got: new TextDecoder().decode(req.body),
                type: req.headers['content-type'] ?? null,
              }),
            }
          })
        })
        const hello = await httpCall(s.port, 'GET', '/hello?n=ada')
        expect(hello.status).toBe(200)
        expect(hello.body).toBe('hi ada')
        expect(hello.headers['content-type']).toBe('text/plain')
        const posted = await httpCall(s.port, 'POST', '/echo', 'x'.repeat(100_000))
        expect(posted.status).toBe(201)
        expect(JSON.parse(posted.body).got).toHaveLength(100_000)
        expect((await httpCall(s.port, 'GET', '/nope')).status).toBe(404)
        // the WebSocket path still upgrades beside the routes
        expect(await upgradeStatus(s.port)).toBe(101)
      })

      test('a body over maxHttpBody is refused with 413', async () => {
        const s = await start(target, { maxHttpBody: 1024 }, (t) =>
          t.http((req) => ({ status: 200, body: String(req.body.length) })),
        )
        expect((await httpCall(s.port, 'POST', '/x', 'y'.repeat(1024))).body).toBe('1024')
        const big = await httpCall(s.port, 'POST', '/x', 'y'.repeat(4096)).catch(() => ({ status: 413 }))
        expect(big.status).toBe(413)
      })
    })

    describe('protocol-violation probes (raw framer)', () => {
      const cases: Array<[ProbeName, string, (c: RawClient) => void]> = [
        [
          'unmaskedFrame',
          'unmasked client frame',
          (c) => c.sendFrame({ opcode: Opcode.text, payload: 'hi', mask: false }),
        ],
        ['reservedOpcode', 'reserved opcode 0x3', (c) => c.sendFrame({ opcode: 0x3, payload: 'hi' })],
        [
          'rsvWithoutExtension',
          'RSV1 without a negotiated extension',
          (c) => c.sendFrame({ opcode: Opcode.text, payload: 'hi', rsv: 4 }),
        ],
        [
          'orphanContinuation',
          'continuation frame with no message started',
          (c) => c.sendFrame({ opcode: Opcode.continuation, payload: 'hi' }),
        ],
        [
          'oversizePing',
          '126-byte ping',
          (c) => c.sendFrame({ opcode: Opcode.ping, payload: new Uint8Array(126) }),
        ],
        [
          'manyFragments',
          '20,000 one-byte fragments',
          (c) => {
            const frames: Buffer[] = []
            for (let i = 0; i < 20_000; i++) {
              const opcode = i === 0 ? Opcode.text : Opcode.continuation
              frames.push(Buffer.from([i === 19_999 ? 0x80 | opcode : opcode, 0x81, 1, 2, 3, 4, 0x61 ^ 1]))
            }
            c.sendRaw(Buffer.concat(frames))
          },
        ],
      ]
      for (const [name, title, send] of cases) {
        const expected = probes[name]
        test(`${title} → ${expected === 'delivered' ? 'delivered as a message' : `close ${expected}`}, server stays up`, async () => {
          const s = await start(target, {}, echo)
          const c = await s.client()
          send(c)
          if (expected === 'delivered') {
            const msg = await c.next()
            expect(typeof msg.data === 'string' ? msg.data.length : msg.data.length).toBeGreaterThan(0)
          } else {
            expect((await c.closed).code).toBe(expected)
          }
          // the server survived: a fresh client still gets an echo
          const fresh = await s.client()
          fresh.send('still up')
          expect((await fresh.next()).data).toBe('still up')
        })
      }
    })
  })
}
