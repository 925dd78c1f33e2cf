import { execFile } from 'node:child_process'
import { once } from 'node:events'
import { type AddressInfo, createServer as createNetServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import type { Connection } from '@hubbub/transport'
import { describe, expect, onTestFinished, test } from 'vitest'
import type WebSocket from 'ws'
import { formatAddress } from '../src/formatAddress.js'
import { uwsTransport } from '../src/uwsTransport.js'
import { client, closed, opened, rawClient, refusedStatus, serverClosed, start, until } from './helpers.js'

describe('uws transport: connections', () => {
  test('echoes text and binary with the binary flag, from inside and outside uWS callbacks', async () => {
    const { url, transport } = await start()
    transport.onConnection((c) => {
      c.onMessage((data, isBinary) => {
        c.send(data)
        setTimeout(() => c.send(isBinary ? 'later-binary' : 'later-text'), 1)
      })
    })
    const ws = await opened(client(url))
    const got: Array<[string, boolean]> = []
    ws.on('message', (data, isBinary) => got.push([data.toString(), isBinary]))
    ws.send('hello')
    await until(() => got.length === 2, 'text echo')
    ws.send(Buffer.from('bytes'))
    await until(() => got.length === 4, 'binary echo')
    expect(got).toEqual([
      ['hello', false],
      ['later-text', false],
      ['bytes', true],
      ['later-binary', false],
    ])
  })

  test('gives connections unique string ids, a text remote address and the connection count', async () => {
    const { url, transport, connections } = await start()
    await Promise.all([opened(client(url)), opened(client(url)), opened(client(url))])
    await until(() => connections.length === 3, 'three connections')
    expect(new Set(connections.map((c) => c.id)).size).toBe(3)
    for (const c of connections) {
      expect(typeof c.id).toBe('string')
      expect(c.remoteAddress).toBe('127.0.0.1')
      expect(c.isOpen).toBe(true)
    }
    expect(transport.connections).toBe(3)
  })

  test('negotiates the subprotocol through selectProtocol and refuses with 400 on null', async () => {
    const { url, connections } = await start({
      selectProtocol: (offered) => (offered.includes('hubbub.v1') ? 'hubbub.v1' : null),
    })
    const ws = await opened(client(url, ['other', 'hubbub.v1']))
    expect(ws.protocol).toBe('hubbub.v1')
    await until(() => connections.length === 1, 'connection')
    expect(connections[0]?.protocol).toBe('hubbub.v1')
    expect(await refusedStatus(client(url, ['other']))).toBe(400)
  })

  test('uses no subprotocol when none is offered', async () => {
    const { url, connections } = await start()
    const ws = await opened(client(url))
    expect(ws.protocol).toBe('')
    await until(() => connections.length === 1, 'connection')
    expect(connections[0]?.protocol).toBe('')
  })
})

describe('uws transport: upgrade pipeline', () => {
  test('answers 404 off the WebSocket path', async () => {
    const { port } = await start()
    expect(await refusedStatus(client(`ws://127.0.0.1:${port}/elsewhere`))).toBe(404)
  })

  test('refuses foreign, null and look-alike origins with 403 and accepts the same host', async () => {
    const { url, port } = await start()
    expect(await refusedStatus(client(url, [], { origin: 'null' }))).toBe(403)
    expect(await refusedStatus(client(url, [], { origin: 'https://evil.example.com' }))).toBe(403)
    await opened(client(url, [], { origin: `http://127.0.0.1:${port}` }))
    const listed = await start({ allowedOrigins: ['https://allowed.example.com'] })
    expect(await refusedStatus(client(listed.url, [], { origin: 'https://allowed.example.com.evil' }))).toBe(
      403,
    )
    await opened(client(listed.url, [], { origin: 'https://allowed.example.com' }))
  })

  test('refuses a failed async authenticate with 401 and creates no connection', async () => {
    const { url, connections } = await start<{ user: string }>({
      authenticate: async (req) => {
        await new Promise((r) => setTimeout(r, 5))
        const token = req.query.get('token')
        if (token !== 'good') throw new Error('bad token')
        return { user: 'ada' }
      },
    })
    expect(await refusedStatus(client(`${url}?token=bad`))).toBe(401)
    expect(connections).toHaveLength(0)
    await opened(client(`${url}?token=good`))
    await until(() => connections.length === 1, 'connection')
    expect(connections[0]?.identity).toEqual({ user: 'ada' })
  })

  test('survives a peer that leaves while authenticate is pending', async () => {
    let release: (() => void) | undefined
    const started = new Promise<void>((resolve) => {
      release = resolve
    })
    let finish: ((v: string) => void) | undefined
    const { url, connections, transport } = await start({
      authenticate: (req) => {
        if (req.query.get('slow') !== '1') return 'fast'
        release?.()
        return new Promise<string>((resolve) => {
          finish = resolve
        })
      },
    })
    const ws = client(`${url}?slow=1`)
    await started
    const gone = new Promise((r) => ws.once('close', r))
    ws.terminate()
    await gone
    // Two turns of the loop, each with a poll phase: uWS sees the peer's FIN and aborts the upgrade.
    for (let i = 0; i < 2; i++) await new Promise((r) => setImmediate(r))
    await new Promise((r) => setTimeout(r, 50))
    finish?.('too late')
    await new Promise((r) => setTimeout(r, 20))
    expect(connections).toHaveLength(0)
    await opened(client(url))
    await until(() => connections.length === 1, 'a later connection')
    expect(transport.connections).toBe(1)
  })

  test('caps connections per IP with 429 and frees the slot on close', async () => {
    const { url, connections } = await start({ maxConnectionsPerIp: 2 })
    const first = await opened(client(url))
    await opened(client(url))
    expect(await refusedStatus(client(url))).toBe(429)
    first.close()
    await until(() => connections.filter((c) => c.isOpen).length === 1, 'first closed')
    await opened(client(url))
  })

  test('answers 408 when the handshake (auth included) exceeds handshakeTimeoutMs', async () => {
    const { url, connections } = await start({
      handshakeTimeoutMs: 50,
      authenticate: () => new Promise<never>(() => {}),
    })
    expect(await refusedStatus(client(url))).toBe(408)
    expect(connections).toHaveLength(0)
  })
})

describe('uws transport: fan-out', () => {
  test('publish reaches each subscriber exactly once and nothing after unsubscribe', async () => {
    const { url, transport, connections } = await start()
    const n = 200
    transport.onConnection((c) => c.subscribe('room'))
    const clients = await Promise.all(Array.from({ length: n }, () => opened(client(url))))
    await until(() => connections.length === n, 'all connections')
    const counts = clients.map(() => 0)
    clients.forEach((ws, i) => {
      ws.on('message', () => {
        counts[i] = (counts[i] ?? 0) + 1
      })
    })
    transport.publish('nobody', 'ignored')
    transport.publish('room', 'one')
    await until(() => counts.every((c) => c >= 1), 'every delivery')
    for (const c of connections) {
      expect(c.isSubscribed('room')).toBe(true)
      c.unsubscribe('room')
      expect(c.isSubscribed('room')).toBe(false)
    }
    transport.publish('room', 'two')
    // A marker sent after the publish proves the publish (had it been delivered) arrived first.
    const marker = clients.map((ws) => once(ws, 'message'))
    for (const c of connections) c.send('marker')
    await Promise.all(marker)
    expect(counts.every((c) => c === 2)).toBe(true)
  })
})

describe('uws transport: limits', () => {
  test('closes with 1009 on a message over maxPayload', async () => {
    const { url, connections } = await start({ maxPayload: 1024 })
    const ws = await opened(client(url))
    await until(() => connections.length === 1, 'connection')
    const server = serverClosed(connections[0]!)
    const clientClose = closed(ws)
    ws.send(Buffer.alloc(1025))
    expect((await clientClose).code).toBe(1009)
    expect((await server).code).toBe(1009)
  })

  test('reports 1007 on invalid UTF-8 in a text frame and stays up', async () => {
    const { port, url, connections } = await start()
    const { socket } = await rawClient(port)
    await until(() => connections.length === 1, 'connection')
    const server = serverClosed(connections[0]!)
    socket.write(Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0xff, 0xfe]))
    expect((await server).code).toBe(1007)
    await opened(client(url))
  })

  test('a message over 2× maxPayload is cut off by uWS, still reported as 1009 server-side', async () => {
    const { url, connections } = await start({ maxPayload: 1024 })
    const ws = await opened(client(url))
    await until(() => connections.length === 1, 'connection')
    const server = serverClosed(connections[0]!)
    ws.send(Buffer.alloc(4096))
    expect((await server).code).toBe(1009)
  })

  test('perMessageDeflate: negotiated when on, and a deflate bomb is cut off at the payload bound', async () => {
    const { url, connections, transport } = await start({ perMessageDeflate: true, maxPayload: 64 * 1024 })
    transport.onConnection((c) => c.onMessage((d) => c.send(d)))
    const ws = await opened(client(url, [], { perMessageDeflate: true }))
    expect(ws.extensions).toContain('permessage-deflate')
    const echoed = once(ws, 'message')
    ws.send('z'.repeat(10_000))
    expect(String((await echoed)[0])).toHaveLength(10_000)
    await until(() => connections.length === 1, 'connection')
    const server = serverClosed(connections[0]!)
    ws.send('z'.repeat(4 * 1024 * 1024)) // ~4 KB on the wire, 4 MiB inflated
    expect((await server).code).toBe(1009)
  })

  test('perMessageDeflate is off by default', async () => {
    const { url } = await start()
    const ws = await opened(client(url, [], { perMessageDeflate: true }))
    expect(ws.extensions).toBe('')
  })

  test('an unmasked frame is not delivered (uWS reads it as masked) and the server stays up', async () => {
    const { port, url, connections, transport } = await start()
    const got: unknown[] = []
    transport.onConnection((c) => c.onMessage((d) => got.push(d)))
    const { socket } = await rawClient(port)
    await until(() => connections.length === 1, 'connection')
    socket.write(Buffer.from([0x81, 0x02, 0x68, 0x69]))
    const ws = await opened(client(url))
    ws.send('marker')
    await until(() => got.length === 1, 'the marker')
    expect(got).toEqual(['marker'])
  })

  test('heartbeat terminates a peer that never answers pings', async () => {
    const { port, connections } = await start({ heartbeat: { intervalMs: 30, missedLimit: 2 } })
    const { socket } = await rawClient(port)
    socket.pause()
    await until(() => connections.length === 1, 'connection')
    const server = serverClosed(connections[0]!)
    expect((await server).code).toBe(1006)
  })

  test('heartbeat keeps a peer that answers pings', async () => {
    // Three missed beats of slack: client and server share this event loop, so one stall of a beat must not end the peer.
    const { url, connections } = await start({ heartbeat: { intervalMs: 20, missedLimit: 3 } })
    const ws = await opened(client(url))
    let pings = 0
    ws.on('ping', () => pings++)
    await until(() => pings >= 5, 'five pings')
    expect(connections[0]?.isOpen).toBe(true)
  })
})

/** Publishes `size`-byte messages, one per round trip of the fast peer, until `stop()`. */
async function flood(
  publish: (data: Uint8Array) => void,
  fast: WebSocket,
  stop: () => boolean,
  size = 64 * 1024,
): Promise<number> {
  let received = 0
  fast.on('message', () => received++)
  let sent = 0
  while (!stop() && sent < 2_000) {
    publish(new Uint8Array(size).fill(sent & 0xff))
    sent++
    await until(() => received === sent, `fast peer message ${sent}`)
  }
  return sent
}

describe('uws transport: backpressure', () => {
  test("policy 'close' closes only the slow peer with 1013", async () => {
    const { url, transport, connections } = await start({ maxBackpressure: 256 * 1024 })
    transport.onConnection((c) => c.subscribe('t'))
    const slow = await opened(client(url))
    await until(() => connections.length === 1, 'slow connection')
    const fast = await opened(client(url))
    await until(() => connections.length === 2, 'fast connection')
    ;(slow as unknown as { _socket: { pause(): void } })._socket.pause()
    const slowServer = connections[0]!
    const slowClosed = serverClosed(slowServer)
    let done = false
    void slowClosed.then(() => {
      done = true
    })
    await flood(
      (d) => transport.publish('t', d),
      fast,
      () => done,
    )
    expect((await slowClosed).code).toBe(1013)
    expect(connections[1]?.isOpen).toBe(true)
  })

  test("policy 'drop' counts and reports drops on the slow peer while the fast peer gets everything", async () => {
    const { url, transport, connections } = await start({ maxBackpressure: 256 * 1024, backpressure: 'drop' })
    transport.onConnection((c) => c.subscribe('t'))
    const slow = await opened(client(url))
    await until(() => connections.length === 1, 'slow connection')
    const fast = await opened(client(url))
    await until(() => connections.length === 2, 'fast connection')
    ;(slow as unknown as { _socket: { pause(): void } })._socket.pause()
    const slowServer = connections[0] as Connection
    const dropped: Array<string | undefined> = []
    slowServer.onDrop((_data, topic) => dropped.push(topic))
    await flood(
      (d) => transport.publish('t', d),
      fast,
      () => slowServer.droppedCount >= 5,
    )
    expect(slowServer.isOpen).toBe(true)
    expect(dropped.length).toBe(slowServer.droppedCount)
    expect(dropped.every((t) => t === 't')).toBe(true)
    expect(slowServer.send('direct')).toBe('dropped')
    expect(slowServer.droppedCount).toBe(dropped.length)
  })
})

describe('formatAddress', () => {
  test('prints IPv4, IPv4-mapped IPv6 as IPv4, and compressed IPv6', () => {
    expect(formatAddress(new Uint8Array([10, 0, 0, 7]).buffer)).toBe('10.0.0.7')
    const mapped = new Uint8Array(16)
    mapped.set([0xff, 0xff, 127, 0, 0, 1], 10)
    expect(formatAddress(mapped.buffer)).toBe('127.0.0.1')
    const loopback = new Uint8Array(16)
    loopback[15] = 1
    expect(formatAddress(loopback.buffer)).toBe('::1')
    const v6 = new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01])
    expect(formatAddress(v6.buffer)).toBe('2001:db8::1')
  })
})

describe('uws transport: lifecycle and HTTP', () => {
  test('close({graceMs}) closes every connection with 1001, resolves and stops accepting', async () => {
    const { url, transport } = await start()
    const clients = await Promise.all([opened(client(url)), opened(client(url))])
    const codes = clients.map((ws) => closed(ws))
    await transport.close({ graceMs: 500 })
    expect((await Promise.all(codes)).map((c) => c.code)).toEqual([1001, 1001])
    expect(transport.connections).toBe(0)
    const late = client(url)
    await once(late, 'error')
  })

  test('serves HTTP routes beside the socket, reads bodies and bounds them with 413', async () => {
    const { port, transport } = await start({ maxHttpBody: 16 })
    transport.http((req) =>
      req.path === '/health'
        ? { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' }
        : undefined,
    )
    transport.http(async (req) =>
      req.method === 'POST' && req.path === '/echo'
        ? { status: 201, body: `${req.query.get('q')}:${Buffer.from(req.body).toString()}` }
        : undefined,
    )
    const base = `http://127.0.0.1:${port}`
    const health = await fetch(`${base}/health`, { headers: { connection: 'close' } })
    expect([health.status, await health.text()]).toEqual([200, 'ok'])
    const echo = await fetch(`${base}/echo?q=x`, {
      method: 'POST',
      body: 'hello',
      headers: { connection: 'close' },
    })
    expect([echo.status, await echo.text()]).toEqual([201, 'x:hello'])
    const empty = await fetch(`${base}/echo?q=e`, {
      method: 'POST',
      body: '',
      headers: { connection: 'close' },
    })
    expect([empty.status, await empty.text()]).toEqual([201, 'e:'])
    const big = await fetch(`${base}/echo`, {
      method: 'POST',
      body: 'x'.repeat(17),
      headers: { connection: 'close' },
    })
    expect(big.status).toBe(413)
    const missing = await fetch(`${base}/nothing`, { headers: { connection: 'close' } })
    expect(missing.status).toBe(404)
  })

  test('refuses the JavaScript fallback of uWebSockets.js with a clear error', async () => {
    const cwd = fileURLToPath(new URL('..', import.meta.url))
    const script = "import('./src/index.ts').then((m) => { m.uwsTransport(); console.log('LOADED') })"
    const result = await new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--conditions=@hubbub/source', '--import', 'tsx', '--input-type=module', '-e', script],
        { cwd, env: { ...process.env, UWS_USE_FALLBACK: '1' } },
        (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      )
    })
    expect(result.stdout).not.toContain('LOADED')
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain('UWS_FALLBACK')
    expect(result.stderr).toContain('JavaScript fallback')
  })
})

describe('uws transport: listening', () => {
  // A port the kernel picked is never shared, so this needs a fixed one: ask for a free port,
  // release it, then listen on it by number as a user's server does.
  test('a second transport on a taken port fails to listen, with or without a host', async () => {
    const probe = createNetServer().listen(0, '127.0.0.1')
    await once(probe, 'listening')
    const { port } = probe.address() as AddressInfo
    await new Promise((resolve) => probe.close(resolve))
    const first = uwsTransport()
    onTestFinished(() => first.close({ graceMs: 10 }))
    await first.listen({ port })
    for (const host of [undefined, '127.0.0.1']) {
      const second = uwsTransport()
      onTestFinished(() => second.close({ graceMs: 10 }))
      await expect(second.listen(host ? { port, host } : { port })).rejects.toMatchObject({
        code: 'LISTEN_FAILED',
      })
    }
  })
})
