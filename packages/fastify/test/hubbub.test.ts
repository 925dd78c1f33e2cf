import { once } from 'node:events'
import Fastify, { type FastifyInstance } from 'fastify'
import Fastify4 from 'fastify4'
import { describe, expect, onTestFinished, test } from 'vitest'
import WebSocket from 'ws'
import { type HubbubFastifyOptions, hubbub } from '../src/index.js'

const SECRET = 'a-broadcast-secret-for-the-fastify-tests'

// Both supported majors run every test; `fastify4` is an npm alias of fastify@4. Its instance is
// typed by Fastify 4's own declarations, so it is cast to the 5 types the suite is written against
// (an app on Fastify 4 compiles against its own `fastify` types, the only ones it has).
const majors = [
  { major: 5, make: () => Fastify() },
  { major: 4, make: () => Fastify4() as unknown as FastifyInstance },
]

for (const { major, make } of majors) {
  describe(`Fastify ${major}`, () => {
    async function app(options: Partial<HubbubFastifyOptions> = {}): Promise<FastifyInstance> {
      const fastify = make()
      await fastify.register(hubbub, {
        auth: { anonymous: true },
        broadcastSecret: SECRET,
        heartbeatMs: 0,
        ...options,
      })
      onTestFinished(() => fastify.close())
      return fastify
    }

    type Frame = { type: string } & Record<string, any>

    /** A socket that records its frames and how it closed. */
    async function member(url: string) {
      const ws = new WebSocket(url)
      onTestFinished(() => ws.terminate())
      const frames: Frame[] = []
      ws.on('message', (data) => frames.push(JSON.parse(String(data))))
      const closed = once(ws, 'close').then(([code]) => code as number)
      await once(ws, 'open')
      await expect.poll(() => frames[0]?.type).toBe('welcome')
      return { ws, frames, closed }
    }

    describe('routes, through inject()', () => {
      test('the HTTP API is served as Fastify routes under the prefix', async () => {
        const fastify = await app()
        const health = await fastify.inject({ method: 'GET', url: '/hubbub/health' })
        expect(health.statusCode).toBe(200)
        expect(health.json()).toEqual({ status: 'ok', connections: 0 })
        const stats = await fastify.inject({ method: 'GET', url: '/hubbub/api/stats' })
        expect(stats.json()).toMatchObject({ connections: 0, rooms: 0, nodeId: fastify.hubbub.nodeId })
        const metrics = await fastify.inject({ method: 'GET', url: '/hubbub/metrics' })
        expect(metrics.statusCode).toBe(200)
        expect(metrics.body).toContain('# TYPE')
        expect((await fastify.inject({ method: 'GET', url: '/health' })).statusCode).toBe(404)
      })

      test('POST {prefix}/api/broadcast works after Fastify parsed the body, and keeps its checks', async () => {
        const fastify = await app({ prefix: '/rt' })
        const post = (body: unknown, auth = `Bearer ${SECRET}`) =>
          fastify.inject({
            method: 'POST',
            url: '/rt/api/broadcast',
            headers: { authorization: auth },
            payload: body as object,
          })
        const sent = await post({ roomId: 'general', text: 'deploy at 6' })
        expect(sent.statusCode).toBe(202)
        expect(sent.json()).toEqual({ delivered: 0 })
        expect((await post({ filter: { orgId: 'acme' }, payload: { type: 'notice' } })).statusCode).toBe(202)
        expect((await post({ roomId: 'general', text: 'x' }, 'Bearer wrong')).statusCode).toBe(401)
        const bad = await post({ roomId: 'general', txt: 'typo' })
        expect(bad.statusCode).toBe(400)
        expect(bad.json()).toMatchObject({ error: 'INVALID_MESSAGE' })
      })

      test('without broadcastSecret there is no broadcast route; http: false mounts nothing', async () => {
        const open = await app({ broadcastSecret: undefined })
        expect(
          (await open.inject({ method: 'POST', url: '/hubbub/api/broadcast', payload: {} })).statusCode,
        ).toBe(404)
        const none = await app({ http: false })
        expect((await none.inject({ method: 'GET', url: '/hubbub/health' })).statusCode).toBe(404)
        expect(typeof none.hubbub.broadcastWhere).toBe('function')
      })
    })

    describe('on a real port', () => {
      test('one port serves routes and /ws; a broadcast route reaches a joined member', async () => {
        const fastify = await app()
        fastify.post('/channels/:id/announce', async (request) => {
          const { id } = request.params as { id: string }
          return {
            delivered: fastify.hubbub.broadcast(id, { text: (request.body as { text: string }).text }),
          }
        })
        await fastify.listen({ port: 0, host: '127.0.0.1' })
        const { port } = fastify.server.address() as { port: number }
        const a = await member(`ws://127.0.0.1:${port}/ws`)
        a.ws.send(JSON.stringify({ type: 'join', roomId: 'org:acme', username: 'ann', id: 'j' }))
        await expect.poll(() => a.frames.some((f) => f.replyTo === 'j')).toBe(true)
        const res = await fetch(`http://127.0.0.1:${port}/channels/org:acme/announce`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ text: 'hello channel' }),
        })
        expect(await res.json()).toEqual({ delivered: 1 })
        await expect.poll(() => a.frames.find((f) => f.type === 'message')?.text).toBe('hello channel')
      })

      // 1,000 sockets in one process take seconds on a busy machine: a generous timeout, and no timing asserted
      // (a socket still open after the grace would be terminated and see 1006, not 1001).
      test('app.close() drains: every client gets SERVER_SHUTDOWN then 1001, and close resolves', {
        timeout: 120_000,
      }, async () => {
        const fastify = await app()
        await fastify.listen({ port: 0, host: '127.0.0.1' })
        const { port } = fastify.server.address() as { port: number }
        const count = major === 5 ? 1000 : 200
        const members = await Promise.all(
          Array.from({ length: count }, () => member(`ws://127.0.0.1:${port}/ws`)),
        )
        expect(fastify.hubbub.connections).toBe(count)
        await fastify.close()
        for (const m of members) {
          expect(await m.closed).toBe(1001)
          expect(m.frames.at(-1)).toMatchObject({ type: 'error', code: 'SERVER_SHUTDOWN' })
        }
      })
    })
  })
}
