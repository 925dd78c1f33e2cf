// An Express app with attach(): one port serves the app's routes and /ws; the HTTP API is
// mounted with hubbub.handler after express.json() (POST /hubbub/api/broadcast reads the parsed
// body); a route uses broadcastWhere; httpServer.close() drains the client with 1001.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { connect } from '@hubbub/client'
import { attach, hmacAuth, signToken } from '@hubbub/server'
import { wsTransport } from '@hubbub/transport-ws'
import express from 'express'
import WebSocket from 'ws'

const secret = 'a-release-test-secret-of-32-characters-or-more'
const broadcastSecret = 'b'.repeat(32)
const app = express()
app.use(express.json())
const httpServer = app.listen(0, '127.0.0.1')
await once(httpServer, 'listening')
const hubbub = attach(httpServer, { transport: wsTransport, auth: hmacAuth({ secret }), broadcastSecret })
app.use('/hubbub', hubbub.handler)
app.post('/orgs/:org/notice', async (req, res) => {
  const delivered = await hubbub.broadcastWhere(
    { orgId: req.params.org },
    { type: 'notice', text: req.body.text },
  )
  res.json({ delivered })
})
const { port } = httpServer.address()
const base = `http://127.0.0.1:${port}`

const token = await signToken(secret, { userId: 'u42', name: 'dana', orgId: 'acme' })
const client = connect(`ws://127.0.0.1:${port}/ws`, { token, WebSocket, reconnect: false })
const closed = new Promise((resolve) => client.on('closed', resolve))
const notices = []
client.on('custom', (frame) => frame.type === 'notice' && notices.push(frame.text))
const room = await client.join('general')
const texts = []
room.on('message', (m) => texts.push(m.text))

const post = (path, body, headers = {}) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })
assert.deepEqual(await (await post('/orgs/acme/notice', { text: 'maintenance' })).json(), { delivered: 1 })
const api = await post(
  '/hubbub/api/broadcast',
  { roomId: 'general', text: 'deploy at 6', from: 'ops' },
  { authorization: `Bearer ${broadcastSecret}` },
)
assert.ok(api.ok, `POST /hubbub/api/broadcast answered ${api.status}: ${await api.text()}`)
const deadline = Date.now() + 30_000
while ((notices.length < 1 || texts.length < 1) && Date.now() < deadline)
  await new Promise((r) => setTimeout(r, 20))
assert.deepEqual(notices, ['maintenance'])
assert.deepEqual(texts, ['deploy at 6'])
assert.equal((await fetch(`${base}/hubbub/health`)).status, 200)
console.log('express: route broadcastWhere and POST /hubbub/api/broadcast delivered, health answers')

await new Promise((resolve) => httpServer.close(resolve))
const { code } = await closed
assert.equal(code, 1001, 'closing the HTTP server closes the client with 1001')
console.log('express: httpServer.close() drained the client (1001)')
