import type { Transport, TransportOptions, UpgradeRequest } from '@hubbub/transport'
import { uwsTransport } from '@hubbub/transport-uws'
import { wsTransport } from '@hubbub/transport-ws'
import { SignJWT } from 'jose'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { WebSocket } from 'ws'
import {
  AuthError,
  hmacAuth,
  type Identity,
  isTokenProtocol,
  signToken,
  TOKEN_PROTOCOL_PREFIX,
  tokenFromRequest,
  tokenProtocol,
} from '../src/auth/index.js'
import { ServerError } from '../src/ServerError.js'

const secret = 'a-test-secret-that-is-at-least-32-bytes-long'
const key = new TextEncoder().encode(secret)

function upgrade(init: { headers?: Record<string, string>; protocols?: string[]; query?: string } = {}) {
  const query = new URLSearchParams(init.query ?? '')
  const req: UpgradeRequest = {
    url: `/ws${init.query ? `?${init.query}` : ''}`,
    path: '/ws',
    query,
    headers: init.headers ?? {},
    remoteAddress: '127.0.0.1',
    origin: undefined,
    protocols: init.protocols ?? [],
  }
  return req
}

const bearer = (token: string) => upgrade({ headers: { authorization: `Bearer ${token}` } })

async function refusal(result: unknown): Promise<AuthError> {
  const err = await Promise.resolve(result).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(AuthError)
  return err as AuthError
}

describe('hmacAuth', () => {
  it('maps sub, name, org and the other claims onto the identity, with expiresAt from exp', async () => {
    const token = await signToken(
      secret,
      { userId: 'u1', name: 'Ada', orgId: 'acme', claims: { role: 'admin' } },
      { expiresInSec: 600 },
    )
    const identity = await hmacAuth({ secret }).authenticate(bearer(token))
    expect(identity).toMatchObject({ userId: 'u1', name: 'Ada', orgId: 'acme' })
    expect(identity.claims).toMatchObject({ role: 'admin' })
    expect(identity.claims).not.toHaveProperty('sub')
    expect(identity.claims).not.toHaveProperty('org')
    const exp = identity.claims?.exp as number
    expect(identity.expiresAt).toBe(exp * 1000)
    expect(identity.expiresAt! - Date.now()).toBeGreaterThan(590_000)
  })

  it('accepts orgId as the organisation claim and defaults the name to sub', async () => {
    const token = await new SignJWT({ orgId: 'o9' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('bob')
      .sign(key)
    const identity = await hmacAuth({ secret }).authenticate(bearer(token))
    expect(identity).toEqual({ userId: 'bob', name: 'bob', orgId: 'o9' })
    expect(identity.expiresAt).toBeUndefined()
  })

  it('reads the token from a hubbub.token.<jwt> subprotocol entry and from ?token=', async () => {
    const token = await signToken(secret, { userId: 'u2', name: 'Grace' })
    const auth = hmacAuth({ secret })
    const viaProtocol = await auth.authenticate(
      upgrade({ protocols: ['hubbub.v1.json', tokenProtocol(token)] }),
    )
    expect(viaProtocol.userId).toBe('u2')
    const viaQuery = await auth.authenticate(upgrade({ query: `token=${encodeURIComponent(token)}` }))
    expect(viaQuery.userId).toBe('u2')
  })

  it('prefers the Authorization header, then the subprotocol, then the query', async () => {
    const [h, p, q] = await Promise.all(
      ['header', 'protocol', 'query'].map((userId) => signToken(secret, { userId, name: userId })),
    )
    const all = upgrade({
      headers: { authorization: `bearer ${h}` },
      protocols: [tokenProtocol(p!)],
      query: `token=${q}`,
    })
    expect(tokenFromRequest(all)).toBe(h)
    expect(tokenFromRequest(upgrade({ protocols: [tokenProtocol(p!)], query: `token=${q}` }))).toBe(p)
    expect(tokenFromRequest(upgrade({ query: `token=${q}` }))).toBe(q)
    // A non-Bearer Authorization header does not hide the other sources.
    expect(tokenFromRequest(upgrade({ headers: { authorization: 'Basic dTpw' }, query: `token=${q}` }))).toBe(
      q,
    )
  })

  it('refuses a request without a token with code missing', async () => {
    const auth = hmacAuth({ secret })
    expect((await refusal(auth.authenticate(upgrade()))).code).toBe('missing')
    const empty = upgrade({ protocols: [TOKEN_PROTOCOL_PREFIX], query: 'token=' })
    expect((await refusal(auth.authenticate(empty))).code).toBe('missing')
  })

  it('refuses a wrong signature, a tampered payload and garbage with code invalid', async () => {
    const auth = hmacAuth({ secret })
    const wrongKey = await signToken(`${secret}-other`, { userId: 'u', name: 'u' })
    expect((await refusal(auth.authenticate(bearer(wrongKey)))).code).toBe('invalid')

    const good = await signToken(secret, { userId: 'u', name: 'u' })
    const [header, , sig] = good.split('.')
    const forged = Buffer.from(JSON.stringify({ sub: 'admin', name: 'admin' })).toString('base64url')
    const tampered = await refusal(auth.authenticate(bearer(`${header}.${forged}.${sig}`)))
    expect(tampered.code).toBe('invalid')
    expect(tampered.cause).toBeDefined()

    expect((await refusal(auth.authenticate(bearer('not-a-jwt')))).code).toBe('invalid')
  })

  it('refuses algorithms other than HS256, including alg none', async () => {
    const auth = hmacAuth({ secret })
    const hs512 = await new SignJWT({ name: 'u' })
      .setProtectedHeader({ alg: 'HS512' })
      .setSubject('u')
      .sign(key)
    expect((await refusal(auth.authenticate(bearer(hs512)))).code).toBe('invalid')
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"u"}').toString('base64url')}.`
    expect((await refusal(auth.authenticate(bearer(none)))).code).toBe('invalid')
  })

  it('refuses an expired token with code expired, within the clock tolerance it passes', async () => {
    const token = await signToken(secret, { userId: 'u', name: 'u' }, { expiresInSec: -10 })
    expect((await refusal(hmacAuth({ secret }).authenticate(bearer(token)))).code).toBe('expired')
    const tolerant = await hmacAuth({ secret, clockToleranceSec: 60 }).authenticate(bearer(token))
    expect(tolerant.userId).toBe('u')
  })

  it('checks issuer and audience when configured', async () => {
    const auth = hmacAuth({ secret, issuer: 'https://id.example', audience: 'hubbub' })
    const right = await signToken(
      secret,
      { userId: 'u', name: 'u' },
      { issuer: 'https://id.example', audience: 'hubbub' },
    )
    expect((await auth.authenticate(bearer(right))).userId).toBe('u')
    const wrongIss = await signToken(
      secret,
      { userId: 'u', name: 'u' },
      { issuer: 'evil', audience: 'hubbub' },
    )
    expect((await refusal(auth.authenticate(bearer(wrongIss)))).code).toBe('invalid')
    const noAud = await signToken(secret, { userId: 'u', name: 'u' }, { issuer: 'https://id.example' })
    expect((await refusal(auth.authenticate(bearer(noAud)))).code).toBe('invalid')
  })

  it('refuses names the protocol cannot carry and non-string organisations', async () => {
    const auth = hmacAuth({ secret })
    const sign = (payload: Record<string, unknown>) =>
      new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).setSubject('u').sign(key)
    for (const payload of [
      { name: '   ' },
      { name: 'a\u0007b' },
      { name: 'x'.repeat(33) },
      { name: 42 },
      { org: 7 },
    ]) {
      const err = await refusal(auth.authenticate(bearer(await sign(payload))))
      expect(err.code).toBe('invalid')
    }
    const noSub = await new SignJWT({ name: 'n' }).setProtectedHeader({ alg: 'HS256' }).sign(key)
    expect((await refusal(auth.authenticate(bearer(noSub)))).code).toBe('invalid')
    // Surrounding whitespace is trimmed, as for client usernames.
    expect((await auth.authenticate(bearer(await sign({ name: '  Ada ' })))).name).toBe('Ada')
  })

  it('keeps a __proto__ claim as a plain own property', async () => {
    const payload = JSON.parse('{"__proto__":{"polluted":true},"name":"u"}') as Record<string, unknown>
    const token = await new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).setSubject('u').sign(key)
    const identity = await hmacAuth({ secret }).authenticate(bearer(token))
    expect(Object.getPrototypeOf(identity.claims)).toBe(Object.prototype)
    expect(Object.hasOwn(identity.claims!, '__proto__')).toBe(true)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('passes authorizeJoin through and omits it when not configured', async () => {
    const auth = hmacAuth({
      secret,
      authorizeJoin: (identity, roomId) => roomId.startsWith(`${identity.orgId}:`),
    })
    const who = { userId: 'u', name: 'u', orgId: 'acme' }
    expect(await auth.authorizeJoin?.(who, 'acme:general')).toBe(true)
    expect(await auth.authorizeJoin?.(who, 'other:general')).toBe(false)
    expect(hmacAuth({ secret }).authorizeJoin).toBeUndefined()
  })

  it('rejects an empty secret at construction', () => {
    expect(() => hmacAuth({ secret: '' })).toThrow(ServerError)
    expect(() => hmacAuth({ secret: new Uint8Array() })).toThrow(ServerError)
  })
})

describe('token subprotocol', () => {
  it('marks only hubbub.token.* entries, so selectProtocol can skip them', () => {
    expect(isTokenProtocol(tokenProtocol('abc.def.ghi'))).toBe(true)
    expect(isTokenProtocol('hubbub.v1.json')).toBe(false)
    expect(isTokenProtocol('hubbub.v1.msgpack')).toBe(false)
    const offered = ['hubbub.token.x.y.z', 'hubbub.v1.json']
    expect(offered.filter((p) => !isTokenProtocol(p))).toEqual(['hubbub.v1.json'])
  })

  it('carries a real JWT in characters a browser accepts in a subprotocol', async () => {
    const token = await signToken(secret, { userId: 'u', name: 'u', claims: { note: 'ünïcode ✓' } })
    // RFC 6455: a subprotocol is an RFC 2616 token (no separators, visible ASCII).
    expect(tokenProtocol(token)).toMatch(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/)
  })
})

describe('signToken', () => {
  it('keeps identity fields authoritative over same-named claims', async () => {
    const token = await signToken(secret, {
      userId: 'real',
      name: 'Real',
      claims: { sub: 'spoof', name: 'Spoof', org: 'spoof', exp: 1, role: 'r' },
    })
    const identity = await hmacAuth({ secret }).authenticate(bearer(token))
    expect(identity).toMatchObject({ userId: 'real', name: 'Real', claims: { role: 'r' } })
    expect(identity.orgId).toBeUndefined()
    expect(identity.expiresAt).toBeGreaterThan(Date.now())
  })
})

// hmacAuth as the transport's upgrade hook, over real sockets on port 0.
const transports: Array<[string, (options: TransportOptions<Identity>) => Transport<Identity>]> = [
  ['ws', (options) => wsTransport(options)],
  ['uws', (options) => uwsTransport(options)],
]

describe.each(transports)('hmacAuth at the %s upgrade', (_name, make) => {
  async function listen() {
    const transport = make({
      authenticate: hmacAuth({ secret }).authenticate,
      selectProtocol: (offered) => offered.find((p) => !isTokenProtocol(p)) ?? '',
    })
    const identities: Identity[] = []
    transport.onConnection((connection) => identities.push(connection.identity))
    const { port } = await transport.listen({ port: 0, host: '127.0.0.1' })
    onTestFinished(() => transport.close({ graceMs: 100 }))
    return { url: `ws://127.0.0.1:${port}/ws`, identities }
  }

  /** Resolves with the upgrade's outcome: the negotiated protocol, or the refusal status. */
  function attempt(url: string, protocols: string[] = [], headers: Record<string, string> = {}) {
    return new Promise<{ status: number; protocol?: string }>((resolve, reject) => {
      const ws = new WebSocket(url, protocols, { headers })
      ws.on('open', () => {
        resolve({ status: 101, protocol: ws.protocol })
        ws.close()
      })
      ws.on('unexpected-response', (_req, res) => {
        resolve({ status: res.statusCode ?? 0 })
        ws.terminate()
      })
      ws.on('error', reject)
    })
  }

  it('accepts a valid token from each source and hands the identity to the connection', async () => {
    const { url, identities } = await listen()
    const token = await signToken(secret, { userId: 'u1', name: 'Ada', orgId: 'acme' })
    expect(await attempt(url, [], { authorization: `Bearer ${token}` })).toEqual({
      status: 101,
      protocol: '',
    })
    // The token entry is never the negotiated protocol: browsers see the real one.
    expect(await attempt(url, ['hubbub.v1.json', tokenProtocol(token)])).toEqual({
      status: 101,
      protocol: 'hubbub.v1.json',
    })
    expect(await attempt(`${url}?token=${token}`)).toEqual({ status: 101, protocol: '' })
    await vi.waitFor(() => expect(identities).toHaveLength(3))
    for (const identity of identities)
      expect(identity).toMatchObject({ userId: 'u1', name: 'Ada', orgId: 'acme' })
  })

  it('refuses no token, a bad signature and an expired token with 401 before any WebSocket exists', async () => {
    const { url, identities } = await listen()
    const forged = await signToken(`${secret}!`, { userId: 'u1', name: 'Ada' })
    const expired = await signToken(secret, { userId: 'u1', name: 'Ada' }, { expiresInSec: -5 })
    expect((await attempt(url)).status).toBe(401)
    expect((await attempt(url, [], { authorization: `Bearer ${forged}` })).status).toBe(401)
    expect((await attempt(url, ['hubbub.v1.json', tokenProtocol(expired)])).status).toBe(401)
    expect(identities).toHaveLength(0)
  })
})
