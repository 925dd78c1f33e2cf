import { msgpackCodec } from '@hubbub/protocol/msgpack'
import { describe, expect, onTestFinished, test } from 'vitest'
import WebSocket from 'ws'
import { hmacAuth, signToken } from '../src/index.js'
import { type Frame, startServer, TestClient, transports } from './support/harness.js'

const SECRET = 'integration-secret-integration-secret'
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })

/** Opens a socket (the upgrade must succeed) and resolves with every frame it got and how it closed. */
function refusal(url: string, options: { protocols?: string[]; headers?: Record<string, string> } = {}) {
  const ws = new WebSocket(url, options.protocols ?? [], { headers: options.headers ?? {} })
  onTestFinished(() => ws.terminate())
  const frames: Frame[] = []
  ws.on('message', (data, isBinary) => {
    if (!isBinary) frames.push(JSON.parse(String(data)))
    else {
      const decoded = msgpackCodec.decodeServerFrame(data as Buffer)
      frames.push(decoded.ok ? (decoded.frame as Frame) : { type: 'undecodable' })
    }
  })
  return new Promise<{ frames: Frame[]; close: { code: number; reason: string } }>((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
    ws.once('error', reject)
    ws.once('close', (code, reason) => resolve({ frames, close: { code, reason: String(reason) } }))
  })
}

describe.each(transports)('auth through a real server over $name', ({ factory }) => {
  const auth = hmacAuth({
    secret: SECRET,
    authorizeJoin: (identity, roomId) => !roomId.startsWith('admin') || identity.claims?.admin === true,
  })

  test('no token, a bad signature and an expired token: the socket opens, gets UNAUTHORIZED, then closes 4401', async () => {
    const { url, server } = await startServer(factory, { auth })
    // Browsers cannot read the status of a refused upgrade, so the refusal travels inside the socket.
    const missing = await refusal(url)
    expect(missing.frames).toEqual([
      { type: 'error', code: 'UNAUTHORIZED', message: 'no bearer token in the request' },
    ])
    expect(missing.close).toEqual({ code: 4401, reason: 'unauthorized' })
    const forged = await signToken('another-secret-another-secret-xx', { userId: 'u1', name: 'ann' })
    const bad = await refusal(url, bearer(forged))
    expect(bad.frames).toMatchObject([
      { type: 'error', code: 'UNAUTHORIZED', message: expect.stringMatching(/^invalid token/) },
    ])
    expect(bad.close.code).toBe(4401)
    const expired = await signToken(SECRET, { userId: 'u1', name: 'ann' }, { expiresInSec: -10 })
    const late = await refusal(url, { protocols: ['hubbub.v1.json', `hubbub.token.${expired}`] })
    expect(late.frames).toEqual([{ type: 'error', code: 'UNAUTHORIZED', message: 'token expired' }])
    expect(late.close.code).toBe(4401)
    // A msgpack client reads the refusal in its own format.
    const packed = await refusal(url, { protocols: ['hubbub.v1.msgpack'] })
    expect(packed.frames).toMatchObject([{ type: 'error', code: 'UNAUTHORIZED' }])
    expect(packed.close.code).toBe(4401)
    // Refused sockets never became connections.
    expect(server.connections).toBe(0)
    const good = await signToken(SECRET, { userId: 'u1', name: 'ann' })
    await expect(TestClient.connect(`${url}?token=${good}`)).resolves.toBeInstanceOf(TestClient)
  })

  test('the token name beats the client username; a different username is FORBIDDEN; authorizeJoin refusal is FORBIDDEN', async () => {
    const { url } = await startServer(factory, { auth })
    const token = await signToken(SECRET, { userId: 'u1', name: 'Ann' })
    const a = await TestClient.connect(url, { protocols: ['hubbub.v1.json', `hubbub.token.${token}`] })
    expect(await a.join('r', 'mallory')).toMatchObject({ type: 'error', code: 'FORBIDDEN' })
    expect(await a.join('r')).toMatchObject({ type: 'joined', users: ['Ann'] })
    expect(await a.join('admin-room')).toMatchObject({ type: 'error', code: 'FORBIDDEN' })
    const admin = await signToken(SECRET, { userId: 'root', name: 'Root', claims: { admin: true } })
    const r = await TestClient.connect(url, bearer(admin))
    expect(await r.join('admin-room')).toMatchObject({ type: 'joined' })
    // An authenticated user may send private messages before joining anything: the identity names it.
    expect(await r.request({ type: 'private', to: 'Ann', text: 'hi' })).toMatchObject({
      type: 'private',
      from: 'Root',
    })
  })

  test('two connections of one identity are one user: one user_joined, user_left after the last', async () => {
    const { url } = await startServer(factory, { auth })
    const watcher = await TestClient.connect(
      url,
      bearer(await signToken(SECRET, { userId: 'w', name: 'Watcher' })),
    )
    await watcher.join('r')
    const token = await signToken(SECRET, { userId: 'u1', name: 'Ann' })
    const a1 = await TestClient.connect(url, bearer(token))
    const a2 = await TestClient.connect(url, bearer(token))
    await a1.join('r')
    expect(await a2.join('r')).toMatchObject({ type: 'joined', count: 2 })
    a1.close()
    await a1.closed
    await watcher.barrier()
    a2.close()
    await watcher.waitFor((f) => f.type === 'user_left')
    expect(watcher.of('user_joined')).toHaveLength(1)
    expect(watcher.of('user_left')).toHaveLength(1)
  })

  test('an authorizeJoin hook that throws answers INTERNAL and keeps the socket open', async () => {
    const failing = hmacAuth({
      secret: SECRET,
      authorizeJoin: () => {
        throw new Error('database down')
      },
    })
    const { url } = await startServer(factory, { auth: failing })
    const a = await TestClient.connect(url, bearer(await signToken(SECRET, { userId: 'u1', name: 'Ann' })))
    expect(await a.join('r')).toMatchObject({ type: 'error', code: 'INTERNAL' })
    expect(await a.request({ type: 'ping' })).toMatchObject({ type: 'pong' })
  })

  test('a token that expires during the session closes the socket with 4401', async () => {
    const { url } = await startServer(factory, { auth })
    // `exp` is in whole seconds: 3 s leaves at least 2 s to connect before it passes.
    const token = await signToken(SECRET, { userId: 'u1', name: 'Ann' }, { expiresInSec: 3 })
    const a = await TestClient.connect(url, bearer(token))
    expect((await a.closed).code).toBe(4401)
  })
})
