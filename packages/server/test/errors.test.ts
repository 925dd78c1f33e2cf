import { describe, expect, test } from 'vitest'
import { startServer, TestClient, transports } from './support/harness.js'

describe.each(transports)('error codes over $name', ({ factory }) => {
  test('INVALID_JSON, INVALID_MESSAGE naming the field, UNKNOWN_MESSAGE, strict objects; the socket stays open', async () => {
    const { url } = await startServer(factory)
    const a = await TestClient.connect(url)
    a.ws.send('{not json')
    expect(await a.waitFor((f) => f.type === 'error')).toMatchObject({ code: 'INVALID_JSON' })
    const bad = await a.request({ type: 'join', roomId: 'has space', username: 'ann' })
    expect(bad).toMatchObject({ type: 'error', code: 'INVALID_MESSAGE' })
    expect(bad.message).toContain('roomId')
    expect(await a.request({ type: 'teleport' })).toMatchObject({ code: 'UNKNOWN_MESSAGE' })
    const extra = await a.request({ type: 'ping', constructor: { polluted: true } })
    expect(extra).toMatchObject({ code: 'INVALID_MESSAGE' })
    a.ws.send('{"type":"ping","__proto__":{"x":1},"id":"p1"}')
    expect(await a.waitFor((f) => f.replyTo === 'p1')).toMatchObject({ code: 'INVALID_MESSAGE' })
    expect(await a.request({ type: 'ping' })).toMatchObject({ type: 'pong' })
  })

  test('INVALID_USERNAME, USERNAME_TAKEN, ALREADY_IN_ROOM, NOT_IN_ROOM', async () => {
    const { url } = await startServer(factory)
    const a = await TestClient.connect(url)
    expect(await a.join('r')).toMatchObject({ code: 'INVALID_USERNAME' })
    expect(await a.join('r', '   ')).toMatchObject({ code: 'INVALID_USERNAME' })
    expect(await a.join('r', 'bad\u0007name')).toMatchObject({ code: 'INVALID_USERNAME' })
    await a.join('r', 'ann')
    expect(await a.join('r', 'ann')).toMatchObject({ code: 'ALREADY_IN_ROOM' })
    const b = await TestClient.connect(url)
    expect(await b.join('r', 'ann')).toMatchObject({ code: 'USERNAME_TAKEN' })
    expect(await b.request({ type: 'message', roomId: 'r', text: 'x' })).toMatchObject({
      code: 'NOT_IN_ROOM',
    })
    expect(await b.request({ type: 'leave', roomId: 'r' })).toMatchObject({ code: 'NOT_IN_ROOM' })
    expect(await b.request({ type: 'typing', roomId: 'r', isTyping: true })).toMatchObject({
      code: 'NOT_IN_ROOM',
    })
    // The refused name is not kept: bob can still pick another one.
    expect(await b.join('r', 'bob')).toMatchObject({ type: 'joined' })
  })

  test('ROOM_LIMIT beyond roomsPerConnection', async () => {
    const { url } = await startServer(factory, { limits: { roomsPerConnection: 2 } })
    const a = await TestClient.connect(url)
    await a.join('r1', 'ann')
    await a.join('r2')
    expect(await a.join('r3')).toMatchObject({ type: 'error', code: 'ROOM_LIMIT' })
  })

  test('RATE_LIMITED, then 1008 on sustained abuse', async () => {
    const { url } = await startServer(factory, {
      limits: { ratePerSecond: 5, rateBurst: 5, rateAbuseMs: 300 },
    })
    const a = await TestClient.connect(url)
    for (let i = 0; i < 10; i++) a.send({ type: 'ping' })
    expect(await a.waitFor((f) => f.type === 'error')).toMatchObject({ code: 'RATE_LIMITED' })
    const flood = setInterval(() => {
      if (a.ws.readyState === a.ws.OPEN) a.send({ type: 'ping' })
    }, 10)
    try {
      expect((await a.closed).code).toBe(1008)
    } finally {
      clearInterval(flood)
    }
  })

  test('a binary frame on JSON closes with 1003; a frame over maxPayload with 1009', async () => {
    const { url } = await startServer(factory, { limits: { maxPayload: 1024 } })
    const a = await TestClient.connect(url)
    a.ws.send(new Uint8Array([1, 2, 3]))
    expect((await a.closed).code).toBe(1003)
    const b = await TestClient.connect(url)
    b.send({ type: 'ping', id: 'x'.repeat(2000) })
    expect((await b.closed).code).toBe(1009)
  })

  test('a subprotocol list with only unknown entries is refused at the handshake', async () => {
    const { url } = await startServer(factory)
    await expect(TestClient.connect(url, { protocols: ['mqtt'] })).rejects.toThrow()
    const ok = await TestClient.connect(url, { protocols: ['hubbub.v1.json'] })
    expect(ok.ws.protocol).toBe('hubbub.v1.json')
  })
})

describe.each(transports)('upgrade refusals over $name', ({ factory }) => {
  test('beyond connectionsPerAddress the upgrade gets 429', async () => {
    const { url } = await startServer(factory, { limits: { connectionsPerAddress: 1 } })
    await TestClient.connect(url)
    await expect(TestClient.connect(url)).rejects.toThrow('HTTP 429')
  })

  test('an Origin outside allowedOrigins gets 403', async () => {
    const { url } = await startServer(factory, {
      transportOptions: { allowedOrigins: ['https://chat.example'] },
    })
    await TestClient.connect(url, { headers: { origin: 'https://chat.example' } })
    await expect(TestClient.connect(url, { headers: { origin: 'https://evil.example' } })).rejects.toThrow(
      'HTTP 403',
    )
  })
})
