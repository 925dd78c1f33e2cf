import { describe, expect, test } from 'vitest'
import { hmacAuth, signToken } from '../src/index.js'
import { startServer, TestClient, transports } from './support/harness.js'

const SECRET = 'integration-secret-integration-secret'
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })

describe.each(transports)('auth through a real server over $name', ({ factory }) => {
  const auth = hmacAuth({
    secret: SECRET,
    authorizeJoin: (identity, roomId) => !roomId.startsWith('admin') || identity.claims?.admin === true,
  })

  test('no token, a bad signature and an expired token are refused with 401 at the upgrade', async () => {
    const { url } = await startServer(factory, { auth })
    await expect(TestClient.connect(url)).rejects.toThrow('HTTP 401')
    const forged = await signToken('another-secret-another-secret-xx', { userId: 'u1', name: 'ann' })
    await expect(TestClient.connect(url, bearer(forged))).rejects.toThrow('HTTP 401')
    const expired = await signToken(SECRET, { userId: 'u1', name: 'ann' }, { expiresInSec: -10 })
    await expect(TestClient.connect(url, bearer(expired))).rejects.toThrow('HTTP 401')
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
