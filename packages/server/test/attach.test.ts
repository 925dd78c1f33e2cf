import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { wsTransport } from '@hubbub/transport-ws'
import express from 'express'
import { describe, expect, onTestFinished, test } from 'vitest'
import WebSocket from 'ws'
import { attach, hmacAuth, signToken, tokenProtocol } from '../src/index.js'

const TOKEN_SECRET = 'a-token-secret-of-at-least-32-characters'

const SECRET = 'a-broadcast-secret-for-the-attach-tests'

type Frame = { type: string } & Record<string, any>

/** A socket that records its frames and how it closed, joined to `roomId`. */
async function member(port: number, roomId: string, token?: string) {
  const ws = new WebSocket(
    `ws://127.0.0.1:${port}/ws`,
    token === undefined ? [] : ['hubbub.v1.json', tokenProtocol(token)],
  )
  onTestFinished(() => ws.terminate())
  const frames: Frame[] = []
  ws.on('message', (data) => frames.push(JSON.parse(String(data))))
  const closed = once(ws, 'close').then(([code]) => code as number)
  await once(ws, 'open')
  await expect.poll(() => frames[0]?.type).toBe('welcome')
  ws.send(JSON.stringify({ type: 'join', roomId, username: 'ann', id: 'j' }))
  await expect.poll(() => frames.some((f) => f.replyTo === 'j')).toBe(true)
  return { ws, frames, closed }
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
  })
}

/** Closes the HTTP server (which drains Hubbub); resolves with its callback. */
function closeServer(server: Server): Promise<Error | undefined> {
  return new Promise((resolve) => server.close((err) => resolve(err)))
}

const broadcast = (port: number, path: string, body: unknown, auth = `Bearer ${SECRET}`) =>
  fetch(`http://127.0.0.1:${port}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: auth },
    body: JSON.stringify(body),
  })

describe('attach to node:http', () => {
  test('one port serves the app, the HTTP API and /ws; close() drains Hubbub', async () => {
    const httpServer: Server = createServer((req, res) => {
      if (req.url === '/app') return void res.end('the app')
      if (req.url?.startsWith('/hubbub/')) {
        req.url = req.url.slice('/hubbub'.length)
        return hubbub.handler(req, res)
      }
      res.writeHead(404).end()
    })
    const hubbub = attach(httpServer, {
      transport: wsTransport,
      auth: { anonymous: true },
      broadcastSecret: SECRET,
      heartbeatMs: 0,
    })
    const port = await listen(httpServer)
    onTestFinished(async () => {
      if (httpServer.listening) await closeServer(httpServer)
    })

    expect(await (await fetch(`http://127.0.0.1:${port}/app`)).text()).toBe('the app')
    const a = await member(port, 'general')
    expect(await (await fetch(`http://127.0.0.1:${port}/hubbub/health`)).json()).toEqual({
      status: 'ok',
      connections: 1,
    })
    const sent = await broadcast(port, '/hubbub/api/broadcast', { roomId: 'general', text: 'from node:http' })
    expect(sent.status).toBe(202)
    expect(await sent.json()).toEqual({ delivered: 1 })
    await expect.poll(() => a.frames.find((f) => f.type === 'message')?.text).toBe('from node:http')

    expect(await closeServer(httpServer)).toBeUndefined()
    expect(await a.closed).toBe(1001)
    expect(a.frames.at(-1)).toMatchObject({ type: 'error', code: 'SERVER_SHUTDOWN' })
    expect(hubbub.connections).toBe(0)
    expect(httpServer.listening).toBe(false)
  })

  test('without next, a path the handler does not serve is a 404', async () => {
    const httpServer = createServer((req, res) => hubbub.handler(req, res))
    const hubbub = attach(httpServer, { transport: wsTransport, auth: { anonymous: true }, heartbeatMs: 0 })
    const port = await listen(httpServer)
    onTestFinished(async () => {
      await closeServer(httpServer)
    })
    expect((await fetch(`http://127.0.0.1:${port}/nothing-here`)).status).toBe(404)
    // No broadcastSecret: no broadcast route.
    expect((await broadcast(port, '/api/broadcast', { roomId: 'r', text: 'x' })).status).toBe(404)
  })
})

describe('attach to Express 5', () => {
  function expressApp() {
    const app = express()
    // The body parser runs before Hubbub's handler; the handler takes the parsed body.
    app.use(express.json())
    app.get('/app', (_req, res) => {
      res.send('the app')
    })
    return app
  }

  test('POST /api/broadcast after express.json(), the app’s routes after the handler, and close() drains', async () => {
    const app = expressApp()
    const httpServer = app.listen(0, '127.0.0.1')
    const hubbub = attach(httpServer, {
      transport: wsTransport,
      auth: hmacAuth({ secret: TOKEN_SECRET }),
      broadcastSecret: SECRET,
      heartbeatMs: 0,
    })
    app.use('/hubbub', hubbub.handler)
    app.post('/hubbub/custom', (req, res) => {
      res.json({ echoed: req.body })
    })
    if (!httpServer.listening) await once(httpServer, 'listening')
    const port = (httpServer.address() as AddressInfo).port
    onTestFinished(async () => {
      if (httpServer.listening) await closeServer(httpServer)
    })

    const token = await signToken(TOKEN_SECRET, { userId: 'u1', name: 'ann', orgId: 'acme' })
    const a = await member(port, 'org:acme', token)
    const sent = await broadcast(port, '/hubbub/api/broadcast', { roomId: 'org:acme', text: 'from express' })
    expect(sent.status).toBe(202)
    expect(await sent.json()).toEqual({ delivered: 1 })
    await expect.poll(() => a.frames.find((f) => f.type === 'message')?.text).toBe('from express')

    // The filtered form, and the API's own checks, with the parsed body.
    const where = await broadcast(port, '/hubbub/api/broadcast', {
      filter: { orgId: 'acme' },
      payload: { type: 'notice', text: 'just you' },
    })
    expect(await where.json()).toEqual({ delivered: 1 })
    await expect.poll(() => a.frames.find((f) => f.type === 'notice')?.text).toBe('just you')
    const typo = await broadcast(port, '/hubbub/api/broadcast', { roomId: 'org:acme', txt: 'typo' })
    expect(typo.status).toBe(400)
    expect(await typo.json()).toMatchObject({ error: 'INVALID_MESSAGE' })
    expect((await broadcast(port, '/hubbub/api/broadcast', {}, 'Bearer wrong')).status).toBe(401)

    // What the handler does not serve goes on to the app's routes, the body intact.
    expect(await (await broadcast(port, '/hubbub/custom', { a: 1 })).json()).toEqual({ echoed: { a: 1 } })
    expect(await (await fetch(`http://127.0.0.1:${port}/app`)).text()).toBe('the app')
    expect((await fetch(`http://127.0.0.1:${port}/hubbub/api/stats`)).status).toBe(200)

    expect(await closeServer(httpServer)).toBeUndefined()
    expect(await a.closed).toBe(1001)
    expect(a.frames.at(-1)).toMatchObject({ type: 'error', code: 'SERVER_SHUTDOWN' })
    expect(hubbub.connections).toBe(0)
  })

  test('without a body parser the handler reads the body itself', async () => {
    const app = express()
    const httpServer = app.listen(0, '127.0.0.1')
    const hubbub = attach(httpServer, {
      transport: wsTransport,
      auth: { anonymous: true },
      broadcastSecret: SECRET,
      heartbeatMs: 0,
    })
    app.use(hubbub.handler)
    if (!httpServer.listening) await once(httpServer, 'listening')
    const port = (httpServer.address() as AddressInfo).port
    onTestFinished(async () => {
      await closeServer(httpServer)
    })
    const sent = await broadcast(port, '/api/broadcast', { roomId: 'empty', text: 'nobody here' })
    expect(sent.status).toBe(202)
    expect(await sent.json()).toEqual({ delivered: 0 })
  })
})
