import { mkdirSync, rmSync } from 'node:fs'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { HttpHandler, HttpRequest, HttpResponse, Transport } from '@hubbub/transport'
import { uwsTransport } from '@hubbub/transport-uws'
import { wsTransport } from '@hubbub/transport-ws'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import {
  type BroadcastFilter,
  createHttpApi,
  type HttpApiOptions,
  type ServerStats,
} from '../src/http/index.js'
import { createMetrics } from '../src/metrics/index.js'

const SECRET = 'broadcast-secret'

function request(init: {
  method?: string
  path: string
  headers?: Record<string, string>
  body?: string
}): HttpRequest {
  const [path, query = ''] = init.path.split('?')
  return {
    method: init.method ?? 'GET',
    url: init.path,
    path: path!,
    query: new URLSearchParams(query),
    headers: init.headers ?? {},
    remoteAddress: '127.0.0.1',
    body: new TextEncoder().encode(init.body ?? ''),
  }
}

const text = (res: HttpResponse | undefined) =>
  typeof res?.body === 'string' ? res.body : new TextDecoder().decode(res?.body ?? new Uint8Array())
const json = (res: HttpResponse | undefined) => JSON.parse(text(res)) as Record<string, unknown>

interface Calls {
  broadcast: Array<[string, string, string | undefined]>
  broadcastWhere: Array<[BroadcastFilter, Record<string, unknown>]>
}

function api(overrides: Partial<HttpApiOptions> = {}): { handler: HttpHandler; calls: Calls } {
  const metrics = createMetrics({ nodeId: 'node-1' })
  onTestFinished(() => metrics.close())
  const calls: Calls = { broadcast: [], broadcastWhere: [] }
  const stats: ServerStats = {
    connections: 3,
    rooms: 2,
    roomBreakdown: { general: 2, random: 1 },
    nodeId: 'node-1',
    uptimeMs: 1234,
    timestamp: 1_700_000_000_000,
    nodes: [{ node: 'node-1', connections: 3, lastSeen: 1_700_000_000_000 }],
  }
  const handler = createHttpApi({
    broadcastSecret: SECRET,
    metrics,
    health: () => ({ connections: 3 }),
    stats: () => stats,
    broadcast: (roomId, body, from) => {
      calls.broadcast.push([roomId, body, from])
      return 2
    },
    broadcastWhere: (filter, payload) => {
      calls.broadcastWhere.push([filter, payload])
      return 1
    },
    ...overrides,
  })
  return { handler, calls }
}

const post = (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${SECRET}` }) =>
  request({
    method: 'POST',
    path: '/api/broadcast',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })

describe('GET endpoints', () => {
  it('answers /health with the connection count', async () => {
    const res = await api().handler(request({ path: '/health' }))
    expect(res?.status).toBe(200)
    expect(res?.headers?.['content-type']).toMatch(/^application\/json/)
    expect(json(res)).toEqual({ status: 'ok', connections: 3 })
  })

  it('answers /api/stats with the server stats', async () => {
    const res = await api().handler(request({ path: '/api/stats' }))
    expect(res?.status).toBe(200)
    expect(json(res)).toEqual({
      connections: 3,
      rooms: 2,
      roomBreakdown: { general: 2, random: 1 },
      nodeId: 'node-1',
      uptimeMs: 1234,
      timestamp: 1_700_000_000_000,
      nodes: [{ node: 'node-1', connections: 3, lastSeen: 1_700_000_000_000 }],
    })
  })

  it('answers /metrics with the Prometheus text of the given metrics', async () => {
    const metrics = createMetrics({ nodeId: 'node-m' })
    onTestFinished(() => metrics.close())
    metrics.connections.set(9)
    const res = await api({ metrics }).handler(request({ path: '/metrics' }))
    expect(res?.status).toBe(200)
    expect(res?.headers?.['content-type']).toBe(metrics.contentType)
    expect(text(res)).toContain('hubbub_connections{node_id="node-m"} 9')
  })

  it('answers a wrong method on a known route with 405 and Allow', async () => {
    const res = await api().handler(request({ method: 'POST', path: '/health' }))
    expect(res?.status).toBe(405)
    expect(res?.headers?.allow).toBe('GET')
    const get = await api().handler(request({ path: '/api/broadcast' }))
    expect(get?.status).toBe(405)
    expect(get?.headers?.allow).toBe('POST')
  })

  it('falls through (undefined → 404) on unknown paths, including prototype names', async () => {
    const { handler } = api()
    for (const path of ['/nope', '/healthz', '/constructor', '/__proto__', '/api/stats/']) {
      expect(await handler(request({ path }))).toBeUndefined()
    }
  })
})

describe('POST /api/broadcast', () => {
  it('refuses a missing, wrong or non-Bearer secret with 401 and calls nothing', async () => {
    const { handler, calls } = api()
    const body = { roomId: 'general', text: 'hi' }
    for (const headers of [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: `Bearer ${SECRET}x` },
      { authorization: `Basic ${SECRET}` },
      { authorization: SECRET },
    ]) {
      const res = await handler(post(body, headers))
      expect(res?.status).toBe(401)
      expect(res?.headers?.['www-authenticate']).toBe('Bearer')
      expect(json(res).error).toBe('UNAUTHORIZED')
    }
    expect(calls.broadcast).toHaveLength(0)
  })

  it('checks the secret before looking at the body', async () => {
    const res = await api().handler(post('{not json', { authorization: 'Bearer wrong' }))
    expect(res?.status).toBe(401)
  })

  it('broadcasts a room message and answers 202 with the deliveries', async () => {
    const { handler, calls } = api()
    const res = await handler(post({ roomId: 'general', text: 'Deploy at 5', from: 'ops' }))
    expect(res?.status).toBe(202)
    expect(json(res)).toEqual({ delivered: 2 })
    expect(calls.broadcast).toEqual([['general', 'Deploy at 5', 'ops']])
    await handler(post({ roomId: 'general', text: 'no sender' }, { authorization: `bearer ${SECRET}` }))
    expect(calls.broadcast[1]).toEqual(['general', 'no sender', undefined])
  })

  it('broadcasts a payload to the connections matching a filter', async () => {
    const { handler, calls } = api()
    const res = await handler(
      post({ filter: { orgId: 'acme' }, payload: { type: 'notice', text: 'maintenance' } }),
    )
    expect(res?.status).toBe(202)
    expect(json(res)).toEqual({ delivered: 1 })
    expect(calls.broadcastWhere).toEqual([[{ orgId: 'acme' }, { type: 'notice', text: 'maintenance' }]])
    // Only the keys the client sent reach the server (no `userId: undefined`).
    expect(Object.keys(calls.broadcastWhere[0]![0])).toEqual(['orgId'])
  })

  it('awaits asynchronous broadcast callbacks', async () => {
    const { handler } = api({ broadcast: async () => 42 })
    expect(json(await handler(post({ roomId: 'r', text: 't' })))).toEqual({ delivered: 42 })
  })

  it('answers invalid JSON with 400 INVALID_JSON', async () => {
    for (const body of ['{not json', '', '\uFFFE']) {
      const res = await api().handler(post(body))
      expect(res?.status).toBe(400)
      expect(json(res).error).toBe('INVALID_JSON')
    }
    const badUtf8 = { ...post('x'), body: new Uint8Array([0x7b, 0xff, 0x7d]) }
    expect(json(await api().handler(badUtf8)).error).toBe('INVALID_JSON')
  })

  it('answers a body of the wrong shape with 400 INVALID_MESSAGE naming the field', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ roomId: 'general' }, /text/],
      [{ roomId: 'bad room!', text: 'x' }, /roomId/],
      [{ roomId: 'general', text: '' }, /text/],
      [{ roomId: 'general', text: 'x'.repeat(2001) }, /text/],
      [{ roomId: 'general', text: 'x', extra: 1 }, /extra|unrecognized/i],
      [{ roomId: 'general', text: 'x', from: '   ' }, /from/],
      [{ filter: {}, payload: { a: 1 } }, /userId or orgId/],
      [{ filter: { orgId: 'acme' } }, /payload/],
      [{ filter: { orgId: 'acme', role: 'x' }, payload: {} }, /role|unrecognized/i],
      [[1, 2], /expected/],
      ['"just a string"', /expected/],
    ]
    const { handler, calls } = api()
    for (const [body, message] of cases) {
      const res = await handler(post(body))
      expect(res?.status, JSON.stringify(body)).toBe(400)
      const answer = json(res)
      expect(answer.error).toBe('INVALID_MESSAGE')
      expect(answer.message, JSON.stringify(body)).toMatch(message)
    }
    expect(calls.broadcast).toHaveLength(0)
    expect(calls.broadcastWhere).toHaveLength(0)
  })

  it('refuses prototype-polluting keys and absurd nesting anywhere in the body', async () => {
    const { handler, calls } = api()
    const bodies = [
      '{"filter":{"orgId":"a"},"payload":{"__proto__":{"isAdmin":true}}}',
      '{"filter":{"orgId":"a"},"payload":{"nested":[{"constructor":{"prototype":{}}}]}}',
      `{"filter":{"orgId":"a"},"payload":{"deep":${'['.repeat(100)}${']'.repeat(100)}}}`,
    ]
    for (const body of bodies) {
      const res = await handler(post(body))
      expect(res?.status).toBe(400)
      expect(json(res).error).toBe('INVALID_MESSAGE')
    }
    expect(calls.broadcastWhere).toHaveLength(0)
  })

  it('does not exist without a configured secret', async () => {
    const { handler } = api({ broadcastSecret: undefined as unknown as string })
    expect(await handler(post({ roomId: 'general', text: 'hi' }))).toBeUndefined()
    const empty = api({ broadcastSecret: '' })
    expect(
      await empty.handler(post({ roomId: 'general', text: 'hi' }, { authorization: 'Bearer ' })),
    ).toBeUndefined()
  })

  it('answers 500 without details when the server callback throws, and reports the error', async () => {
    const seen: unknown[] = []
    const { handler } = api({
      broadcast: () => {
        throw new Error('secret internals')
      },
      onError: (err) => seen.push(err),
    })
    const res = await handler(post({ roomId: 'general', text: 'hi' }))
    expect(res?.status).toBe(500)
    expect(text(res)).not.toContain('secret internals')
    expect(seen).toHaveLength(1)
  })
})

describe('static files', () => {
  let base: string
  let site: string

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'hubbub-static-'))
    site = join(base, 'site')
    await mkdir(join(site, 'assets'), { recursive: true })
    await mkdir(join(site, 'docs'), { recursive: true })
    await writeFile(join(site, 'index.html'), '<!doctype html><title>chat</title>')
    await writeFile(join(site, 'assets', 'app.js'), 'console.log(1)')
    await writeFile(join(site, 'assets', 'style.css'), 'body{}')
    await writeFile(join(site, 'assets', 'logo.svg'), '<svg/>')
    await writeFile(join(site, 'assets', 'data.bin'), new Uint8Array([0, 1, 2]))
    await writeFile(join(site, 'docs', 'index.html'), 'docs')
    await writeFile(join(site, '.env'), 'SECRET=1')
    await writeFile(join(base, 'secret.txt'), 'outside')
    await symlink(join(base, 'secret.txt'), join(site, 'escape.txt'))
  })
  afterAll(async () => {
    await rm(base, { recursive: true, force: true })
  })

  const serve = () => api({ staticFiles: { dir: site } }).handler

  it('serves index.html at / and in folders, with content types', async () => {
    const handler = serve()
    const expectations: Array<[string, string, string]> = [
      ['/', 'text/html; charset=utf-8', '<!doctype html><title>chat</title>'],
      ['/index.html', 'text/html; charset=utf-8', '<!doctype html><title>chat</title>'],
      ['/assets/app.js', 'text/javascript; charset=utf-8', 'console.log(1)'],
      ['/assets/style.css', 'text/css; charset=utf-8', 'body{}'],
      ['/assets/logo.svg', 'image/svg+xml', '<svg/>'],
      ['/docs/', 'text/html; charset=utf-8', 'docs'],
      ['/docs', 'text/html; charset=utf-8', 'docs'],
    ]
    for (const [path, type, body] of expectations) {
      const res = await handler(request({ path }))
      expect(res?.status, path).toBe(200)
      expect(res?.headers?.['content-type'], path).toBe(type)
      expect(res?.headers?.['x-content-type-options']).toBe('nosniff')
      expect(text(res)).toBe(body)
    }
    const bin = await handler(request({ path: '/assets/data.bin' }))
    expect(bin?.headers?.['content-type']).toBe('application/octet-stream')
    expect([...(bin!.body as Uint8Array)]).toEqual([0, 1, 2])
  })

  it('still answers the API routes before the files', async () => {
    expect(json(await serve()(request({ path: '/health' }))).status).toBe('ok')
  })

  it('never serves anything outside the folder, dotfiles, or non-GET requests', async () => {
    const handler = serve()
    for (const path of [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/assets%2f..%2f..%2fsecret.txt',
      '/..%5csecret.txt',
      '/index.html%00.js',
      '/%E0%A4%A',
      '/.env',
      '/assets/.%2e/.env',
      '/escape.txt',
      '/missing.html',
      '/assets/',
    ]) {
      expect(await handler(request({ path })), path).toBeUndefined()
    }
    expect(await handler(request({ method: 'POST', path: '/index.html' }))).toBeUndefined()
    expect(await handler(request({ method: 'DELETE', path: '/' }))).toBeUndefined()
  })

  it('falls through when the folder is removed after start (a missing one at start: staticFolder.test.ts)', async () => {
    const dir = join(base, 'gone-later')
    mkdirSync(dir)
    const handler = api({ staticFiles: { dir } }).handler
    rmSync(dir, { recursive: true })
    expect(await handler(request({ path: '/' }))).toBeUndefined()
  })
})

// The same handler behind each real transport, over real sockets on port 0.
const transports: Array<[string, () => Transport]> = [
  ['ws', () => wsTransport()],
  ['uws', () => uwsTransport()],
]

describe.each(transports)('through the %s transport', (_name, make) => {
  async function listen(overrides: Partial<HttpApiOptions> = {}) {
    const { handler, calls } = api(overrides)
    const transport = make()
    transport.http(handler)
    const { port } = await transport.listen({ port: 0, host: '127.0.0.1' })
    onTestFinished(() => transport.close({ graceMs: 100 }))
    return { base: `http://127.0.0.1:${port}`, calls }
  }

  it('serves /health, /api/stats and /metrics', async () => {
    const { base } = await listen()
    const health = await fetch(`${base}/health`)
    expect(health.status).toBe(200)
    expect(await health.json()).toEqual({ status: 'ok', connections: 3 })
    const stats = await fetch(`${base}/api/stats`)
    expect(((await stats.json()) as ServerStats).roomBreakdown).toEqual({ general: 2, random: 1 })
    const metrics = await fetch(`${base}/metrics`)
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(await metrics.text()).toContain('# TYPE hubbub_connections gauge')
  })

  it('guards POST /api/broadcast with the bearer secret, then delivers', async () => {
    const { base, calls } = await listen()
    const body = JSON.stringify({ roomId: 'general', text: 'hello from REST' })
    const denied = await fetch(`${base}/api/broadcast`, { method: 'POST', body })
    expect(denied.status).toBe(401)
    expect(calls.broadcast).toHaveLength(0)
    const ok = await fetch(`${base}/api/broadcast`, {
      method: 'POST',
      body,
      headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' },
    })
    expect(ok.status).toBe(202)
    expect(await ok.json()).toEqual({ delivered: 2 })
    expect(calls.broadcast).toEqual([['general', 'hello from REST', undefined]])
    const bad = await fetch(`${base}/api/broadcast`, {
      method: 'POST',
      body: '{"roomId":"general"}',
      headers: { authorization: `Bearer ${SECRET}` },
    })
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: string }).error).toBe('INVALID_MESSAGE')
  })

  it('answers 404 for unknown paths and for traversal attempts on the static folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hubbub-static-'))
    onTestFinished(() => rm(dir, { recursive: true, force: true }))
    await writeFile(join(dir, 'index.html'), '<p>hi</p>')
    const { base } = await listen({ staticFiles: { dir } })
    const index = await fetch(`${base}/`)
    expect(index.status).toBe(200)
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(await index.text()).toBe('<p>hi</p>')
    expect((await fetch(`${base}/nope`)).status).toBe(404)
    expect((await fetch(`${base}/..%2f..%2fetc%2fpasswd`)).status).toBe(404)
  })
})
