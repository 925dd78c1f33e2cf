import { msgpackCodec } from '@hubbub/protocol/msgpack'
import { describe, expect, test } from 'vitest'
import WebSocket from 'ws'
import { createServer, type ServerConnection } from '../src/index.js'
import { type Frame, startServer, TestClient, transports } from './support/harness.js'

/** A socket-like without transport pub/sub: what `ChatServer.handleConnection(sendFn)` builds on. */
function fakeSocket() {
  const frames: Frame[] = []
  const closes: number[] = []
  const socket = {
    send: (data: string | Uint8Array) => frames.push(JSON.parse(String(data))),
    close: (code?: number) => closes.push(code ?? 1000),
  }
  return { frames, closes, socket }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20))

describe('handleConnection (the transport-free core)', () => {
  test('a socket-like without subscribe gets welcome, joined and every room message exactly once', async () => {
    const server = createServer({ auth: { anonymous: true } })
    const a = fakeSocket()
    const b = fakeSocket()
    const ca: ServerConnection = server.handleConnection(a.socket)
    const cb = server.handleConnection(b.socket)
    expect(a.frames[0]).toMatchObject({ type: 'welcome', protocol: 1 })
    ca.receive(JSON.stringify({ type: 'join', roomId: 'r', username: 'ann' }))
    cb.receive(JSON.stringify({ type: 'join', roomId: 'r', username: 'bob' }))
    await expect.poll(() => b.frames.some((f) => f.type === 'joined')).toBe(true)
    for (let i = 0; i < 3; i++) ca.receive(JSON.stringify({ type: 'message', roomId: 'r', text: `t${i}` }))
    await expect.poll(() => b.frames.filter((f) => f.type === 'message').length).toBe(3)
    await settle()
    for (const s of [a, b])
      expect(s.frames.filter((f) => f.type === 'message').map((f) => f.offset)).toEqual([1, 2, 3])
    cb.closed()
    await expect
      .poll(() => a.frames.some((f) => f.type === 'presence_diff' && f.leaves.includes('bob')))
      .toBe(true)
    await server.close()
    expect(a.closes).toEqual([1001])
  })
})

describe.each(transports)('mixed sockets and msgpack over $name', ({ factory }) => {
  test('transport sockets and a fallback socket-like in one room each get each message once', async () => {
    const { url, server } = await startServer(factory)
    const a = await TestClient.connect(url)
    await a.join('r', 'ann')
    const fake = fakeSocket()
    const conn = server.handleConnection(fake.socket)
    conn.receive(JSON.stringify({ type: 'join', roomId: 'r', username: 'bot' }))
    await a.waitFor((f) => f.type === 'user_joined')
    a.send({ type: 'message', roomId: 'r', text: 'one' })
    conn.receive(JSON.stringify({ type: 'message', roomId: 'r', text: 'two' }))
    await a.waitFor((f) => f.type === 'message' && f.offset === 2)
    await expect.poll(() => fake.frames.filter((f) => f.type === 'message').length).toBe(2)
    await a.barrier()
    await settle()
    // Which sender wins offset 1 is a race; each side sees the same order once.
    const seen = a.of('message').map((f) => `${f.offset}:${f.text}`)
    expect(seen).toHaveLength(2)
    expect(seen.map((x) => x.slice(0, 2))).toEqual(['1:', '2:'])
    expect(fake.frames.filter((f) => f.type === 'message').map((f) => `${f.offset}:${f.text}`)).toEqual(seen)
  })

  test('hubbub.v1.msgpack: binary frames both ways, sharing a room with JSON clients', async () => {
    const { url } = await startServer(factory)
    // The codec's packer writes plain msgpack maps; a client frame packs the same way.
    const pack = (frame: Record<string, unknown>) => msgpackCodec.encodeServerFrame(frame as never)
    const frames: Frame[] = []
    const ws = new WebSocket(url, ['hubbub.v1.msgpack'])
    ws.on('message', (data, isBinary) => {
      if (!isBinary) return
      const decoded = msgpackCodec.decodeServerFrame(data as Buffer)
      if (decoded.ok) frames.push(decoded.frame as Frame)
    })
    await new Promise((resolve, reject) => {
      ws.once('open', resolve)
      ws.once('error', reject)
    })
    try {
      expect(ws.protocol).toBe('hubbub.v1.msgpack')
      await expect.poll(() => frames[0]?.type).toBe('welcome')
      ws.send(pack({ type: 'join', roomId: 'r', username: 'mp', id: 'j' }))
      await expect.poll(() => frames.find((f) => f.replyTo === 'j')?.type).toBe('joined')
      const j = await TestClient.connect(url)
      await j.join('r', 'json')
      ws.send(pack({ type: 'message', roomId: 'r', text: 'from msgpack' }))
      j.send({ type: 'message', roomId: 'r', text: 'from json' })
      await j.waitFor((f) => f.type === 'message' && f.offset === 2)
      await expect.poll(() => frames.filter((f) => f.type === 'message').length).toBe(2)
      expect(frames.filter((f) => f.type === 'message').map((f) => f.offset)).toEqual([1, 2])
      expect(
        j
          .of('message')
          .map((f) => f.text)
          .sort(),
      ).toEqual(['from json', 'from msgpack'])
    } finally {
      ws.terminate()
    }
  })
})
