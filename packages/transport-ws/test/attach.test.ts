import { once } from 'node:events'
import { createServer } from 'node:http'
import { connect } from 'node:net'
import { type Connection, TransportDefaults } from '@hubbub/transport'
import { RawClient, upgradeStatus } from '@hubbub/transport/conformance'
import { describe, expect, onTestFinished, test } from 'vitest'
import WebSocket from 'ws'
import { buildFrame, wsTransport } from '../src/index.js'

describe('attach mode', () => {
  test('upgrades on an existing node:http server, leaves its routes alone, and close() keeps it running', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/host') return void res.end('host route')
      // the host mounts the transport's http() handlers where it wants them
      transport.handleRequest(req, res).then((handled) => {
        if (!handled) res.writeHead(404).end()
      })
    })
    const transport = wsTransport({ server })
    transport.http((req) => (req.path === '/api/health' ? { status: 200, body: 'ok' } : undefined))
    transport.onConnection((c) => c.onMessage((d) => c.send(d)))
    const { port } = await transport.listen({ port: 0, host: '127.0.0.1' })
    onTestFinished(() => new Promise<void>((r) => server.close(() => r())))
    expect(server.listening).toBe(true)
    const c = await RawClient.connect(port)
    c.send('via host')
    expect((await c.next()).data).toBe('via host')
    expect(await (await fetch(`http://127.0.0.1:${port}/host`)).text()).toBe('host route')
    expect(await (await fetch(`http://127.0.0.1:${port}/api/health`)).text()).toBe('ok')
    expect((await fetch(`http://127.0.0.1:${port}/missing`)).status).toBe(404)
    await transport.close({ graceMs: 100 })
    expect((await c.closed).code).toBe(1001)
    expect(server.listening).toBe(true)
    expect(await (await fetch(`http://127.0.0.1:${port}/host`)).text()).toBe('host route')
  })

  test('another upgrade listener keeps its own paths', async () => {
    const server = createServer()
    server.on('upgrade', (req, socket) => {
      if (req.url === '/other') socket.end('HTTP/1.1 418 I am a teapot\r\nContent-Length: 0\r\n\r\n')
    })
    const transport = wsTransport({ server })
    const { port } = await transport.listen({ port: 0, host: '127.0.0.1' })
    onTestFinished(async () => {
      await transport.close({ graceMs: 0 })
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    })
    expect(await upgradeStatus(port, { path: '/other' })).toBe(418)
    expect(await upgradeStatus(port)).toBe(101)
  })
})

describe('ws specifics', () => {
  async function startWs(options: Parameters<typeof wsTransport>[0] = {}) {
    const transport = wsTransport(options)
    const connections: Connection[] = []
    transport.onConnection((c) => connections.push(c))
    const { port } = await transport.listen({ port: 0, host: '127.0.0.1' })
    onTestFinished(() => transport.close({ graceMs: 0 }))
    return { transport, port, connections }
  }

  /** A plain TCP socket that has sent a WebSocket upgrade request (the response is left to read). */
  async function rawUpgrade(port: number) {
    const socket = connect(port, '127.0.0.1')
    onTestFinished(() => void socket.destroy())
    await once(socket, 'connect')
    socket.write(
      'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    )
    return socket
  }

  function wsClient(port: number, options: WebSocket.ClientOptions = {}): WebSocket {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, options)
    ws.on('error', () => {})
    onTestFinished(() => ws.terminate())
    return ws
  }

  test('the 101 and a frame sent from onConnection leave in one write; the socket is uncorked after', async () => {
    const transport = wsTransport()
    const results: string[] = []
    const corked: number[] = []
    transport.onConnection((c) => {
      results.push(c.send('welcome'))
      // Buffered, not dropped: it is written with the 101 once the handlers return.
      expect(c.bufferedAmount).toBeGreaterThan(0)
      setImmediate(() =>
        corked.push((c as unknown as { socket: { writableCorked: number } }).socket.writableCorked),
      )
    })
    const { port } = await transport.listen({ port: 0, host: '127.0.0.1' })
    onTestFinished(() => transport.close({ graceMs: 0 }))
    const socket = await rawUpgrade(port)
    // One write on loopback arrives as one chunk: the response head and the frame together.
    const [first] = (await once(socket, 'data')) as [Buffer]
    const head = first.indexOf('\r\n\r\n') + 4
    expect(first.subarray(0, 12).toString()).toBe('HTTP/1.1 101')
    expect(first.subarray(head)).toEqual(buildFrame('welcome'))
    expect(results).toEqual(['buffered'])
    await expect.poll(() => corked).toEqual([0])
  })

  test('frames published to a socket in one turn leave in one write, in order with a send among them', async () => {
    const { transport, port, connections } = await startWs()
    const socket = await rawUpgrade(port)
    const [head] = (await once(socket, 'data')) as [Buffer]
    expect(head.subarray(0, 12).toString()).toBe('HTTP/1.1 101')
    await expect.poll(() => connections.length).toBe(1)
    const c = connections[0]!
    c.subscribe('room')
    const inner = (c as unknown as { socket: { writableCorked: number } }).socket
    const chunks: Buffer[] = []
    socket.on('data', (d: Buffer) => chunks.push(d))
    transport.publish('room', 'one')
    c.send('direct')
    transport.publish('room', 'two')
    transport.publish('room', 'three')
    // corked until the turn's I/O is done, then written at once
    expect(inner.writableCorked).toBe(1)
    await new Promise((r) => setImmediate(r))
    expect(inner.writableCorked).toBe(0)
    const all = Buffer.concat(['one', 'direct', 'two', 'three'].map((t) => buildFrame(t)))
    await expect.poll(() => Buffer.concat(chunks).length).toBe(all.length)
    // one write on loopback arrives as one chunk
    expect(chunks).toEqual([all])
  })

  test('buildFrame matches what ws itself puts on the wire, for every length class', async () => {
    const { transport, port, connections } = await startWs()
    const ws = wsClient(port)
    await once(ws, 'open')
    const got: Array<[string, boolean]> = []
    ws.on('message', (d: Buffer, isBinary) =>
      got.push([isBinary ? d.toString('hex') : d.toString(), isBinary]),
    )
    connections[0]?.subscribe('t')
    const payloads = ['', 'é'.repeat(70), 'x'.repeat(300), 'y'.repeat(70_000), new Uint8Array([1, 2, 250])]
    for (const p of payloads) transport.publish('t', p)
    await new Promise<void>((resolve) => {
      const check = () => (got.length === payloads.length ? resolve() : setTimeout(check, 5))
      check()
    })
    expect(got.map(([d]) => d)).toEqual(['', 'é'.repeat(70), 'x'.repeat(300), 'y'.repeat(70_000), '0102fa'])
    expect(buildFrame('hi')).toEqual(Buffer.from([0x81, 2, 0x68, 0x69]))
  })

  test('permessage-deflate: off by default; when on, a deflate bomb is closed with 1009', async () => {
    const off = await startWs()
    const plain = wsClient(off.port, { perMessageDeflate: true })
    await once(plain, 'open')
    expect(plain.extensions).toBe('')

    const { port } = await startWs({ perMessageDeflate: true })
    const ws = wsClient(port, { perMessageDeflate: { threshold: 0 } })
    await once(ws, 'open')
    expect(ws.extensions).toContain('permessage-deflate')
    // 1 MiB of zeros compresses to ~1 KiB on the wire but inflates past maxPayload
    ws.send(Buffer.alloc(1024 * 1024), { compress: true })
    const [code] = (await once(ws, 'close')) as [number]
    expect(code).toBe(1009)
    expect(TransportDefaults.maxPayload).toBe(65_536)
  })

  test('publish falls back to ws.send while ws is deflating, so frames stay in order', async () => {
    const { transport, port, connections } = await startWs({ perMessageDeflate: true })
    const ws = wsClient(port, { perMessageDeflate: { threshold: 0 } })
    await once(ws, 'open')
    const got: string[] = []
    ws.on('message', (d: Buffer) => got.push(d.toString().slice(0, 10)))
    const conn = connections[0] as Connection
    conn.subscribe('t')
    // the big send is compressed asynchronously; the publish must queue behind it
    conn.send('a'.repeat(200_000))
    transport.publish('t', 'published')
    await new Promise<void>((resolve) => {
      const check = () => (got.length === 2 ? resolve() : setTimeout(check, 5))
      check()
    })
    expect(got).toEqual(['aaaaaaaaaa', 'published'])
  })
})
