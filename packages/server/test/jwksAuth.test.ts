import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { UpgradeRequest } from '@hubbub/transport'
import { wsTransport } from '@hubbub/transport-ws'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { describe, expect, onTestFinished, test } from 'vitest'
import WebSocket from 'ws'
import { AuthError, createServer as createHubbub, jwksAuth, signToken, tokenProtocol } from '../src/index.js'

/** An identity provider in the test: an RS256 key pair and its JWKS served on a free local port. */
async function provider() {
  const { publicKey, privateKey } = await generateKeyPair('RS256')
  const jwk = { ...(await exportJWK(publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' }
  let fetches = 0
  const http = createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') return void res.writeHead(404).end()
    fetches++
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }))
  })
  http.listen(0, '127.0.0.1')
  await once(http, 'listening')
  onTestFinished(() => new Promise<void>((resolve) => http.close(() => resolve())))
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/.well-known/jwks.json`
  const sign = (claims: Record<string, unknown>, kid = 'key-1', key = privateKey) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).setExpirationTime('5m').sign(key)
  return { url, sign, fetches: () => fetches }
}

const bearer = (token: string): UpgradeRequest => ({
  url: '/ws',
  path: '/ws',
  query: new URLSearchParams(),
  headers: { authorization: `Bearer ${token}` },
  remoteAddress: '127.0.0.1',
  origin: undefined,
  protocols: [],
})

async function refused(result: unknown): Promise<AuthError> {
  const err = await Promise.resolve(result).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(AuthError)
  return err as AuthError
}

describe('jwksAuth (RS256 against a JWKS)', () => {
  test('a token signed by the provider maps to an identity; the key set is fetched once', async () => {
    const idp = await provider()
    const auth = jwksAuth({ jwksUrl: idp.url, issuer: 'https://idp.test' })
    const token = await idp.sign({
      sub: 'u1',
      name: 'ann',
      org: 'acme',
      iss: 'https://idp.test',
      role: 'admin',
    })
    const identity = await auth.authenticate(bearer(token))
    expect(identity).toMatchObject({ userId: 'u1', name: 'ann', orgId: 'acme', claims: { role: 'admin' } })
    expect(identity?.expiresAt).toBeGreaterThan(Date.now())
    await auth.authenticate(bearer(token))
    expect(idp.fetches()).toBe(1)
  })

  test('refuses a token of another key, another issuer, an HS256 token, and an unknown kid', async () => {
    const idp = await provider()
    const auth = jwksAuth({ jwksUrl: idp.url, issuer: 'https://idp.test' })
    const stranger = (await generateKeyPair('RS256')).privateKey
    const forged = await idp.sign({ sub: 'u1', iss: 'https://idp.test' }, 'key-1', stranger)
    expect((await refused(auth.authenticate(bearer(forged)))).code).toBe('invalid')
    const otherIssuer = await idp.sign({ sub: 'u1', iss: 'https://elsewhere.test' })
    expect((await refused(auth.authenticate(bearer(otherIssuer)))).code).toBe('invalid')
    const hmac = await signToken('a-shared-secret-of-at-least-32-characters', { userId: 'u1', name: 'ann' })
    expect((await refused(auth.authenticate(bearer(hmac)))).code).toBe('invalid')
    const unknownKid = await idp.sign({ sub: 'u1', iss: 'https://idp.test' }, 'key-2')
    expect((await refused(auth.authenticate(bearer(unknownKid)))).code).toBe('invalid')
  })

  test('through a server: a provider token joins, a forged one gets UNAUTHORIZED and 4401', async () => {
    const idp = await provider()
    const server = createHubbub({
      transport: wsTransport,
      auth: jwksAuth({ jwksUrl: idp.url }),
      heartbeatMs: 0,
    })
    const { port } = await server.listen({ port: 0, host: '127.0.0.1' })
    onTestFinished(() => server.close({ graceMs: 500 }))
    const open = async (token: string) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, ['hubbub.v1.json', tokenProtocol(token)])
      onTestFinished(() => ws.terminate())
      const frames: Array<Record<string, any>> = []
      ws.on('message', (data) => frames.push(JSON.parse(String(data))))
      const closed = once(ws, 'close').then(([code]) => code as number)
      return { frames, closed }
    }
    const good = await open(await idp.sign({ sub: 'u7', name: 'dana' }))
    await expect.poll(() => good.frames[0]?.type).toBe('welcome')
    const stranger = (await generateKeyPair('RS256')).privateKey
    const bad = await open(await idp.sign({ sub: 'u8' }, 'key-1', stranger))
    expect(await bad.closed).toBe(4401)
    expect(bad.frames).toEqual([expect.objectContaining({ type: 'error', code: 'UNAUTHORIZED' })])
  })
})
