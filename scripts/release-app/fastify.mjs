// A Fastify app with the plugin: the installed client joins a channel, a Fastify route
// broadcasts to it, it sends and receives its own message, /ws/status answers, and
// app.close() drains.
import assert from 'node:assert/strict'
import { connect } from '@hubbub/client'
import { hubbub } from '@hubbub/fastify'
import { hmacAuth, signToken } from '@hubbub/server'
import Fastify from 'fastify'
import WebSocket from 'ws'

const secret = 'a-release-test-secret-of-32-characters-or-more'
const app = Fastify({ logger: false })
await app.register(hubbub, {
  auth: hmacAuth({
    secret,
    authorizeJoin: (identity, roomId) => roomId === `org:${identity.orgId}`,
  }),
})
app.post('/channels/:id/messages', async (request) => {
  const { id } = request.params
  const { text } = request.body
  return { delivered: app.hubbub.broadcast(id, { text, from: 'api' }) }
})
app.get('/ws/status', async () => app.hubbub.stats())
await app.listen({ port: 0, host: '127.0.0.1' })
const { port } = app.server.address()
const base = `http://127.0.0.1:${port}`

const token = await signToken(secret, { userId: 'u42', name: 'dana', orgId: 'acme' })
const client = connect(`ws://127.0.0.1:${port}/ws`, { token, WebSocket, reconnect: false })
try {
  const room = await client.join('org:acme')
  const texts = []
  room.on('message', (m) => texts.push(m.text))
  await assert.rejects(client.join('org:other'), { code: 'FORBIDDEN' })

  const response = await fetch(`${base}/channels/org:acme/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text: 'deploy at 6' }),
  })
  assert.deepEqual(await response.json(), { delivered: 1 })
  const mine = await room.send('hello from the installed client')
  assert.equal(mine.text, 'hello from the installed client')
  const deadline = Date.now() + 30_000
  while (texts.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
  assert.deepEqual(texts.toSorted(), ['deploy at 6', 'hello from the installed client'])

  const status = await (await fetch(`${base}/ws/status`)).json()
  assert.equal(status.connections, 1)
  const health = await fetch(`${base}/hubbub/health`)
  assert.equal(health.status, 200)
  console.log('fastify: route broadcast and client message delivered, status and health answer')
} finally {
  const closed = new Promise((resolve) => client.on('closed', resolve))
  await app.close()
  const { code } = await closed
  assert.equal(code, 1001, 'app.close() closes the client with 1001')
}
console.log('fastify: app.close() drained the client (1001)')
