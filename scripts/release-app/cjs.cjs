// The installed packages through require(): a server on ws and a Node client (ws as
// its WebSocket) join a room and exchange a message.
const assert = require('node:assert/strict')
const WebSocket = require('ws')
const { connect } = require('@hubbub/client')
const { createServer, hmacAuth, signToken } = require('@hubbub/server')
const { wsTransport } = require('@hubbub/transport-ws')

async function main() {
  const secret = 'a-release-test-secret-of-32-characters-or-more'
  const server = createServer({ transport: wsTransport, auth: hmacAuth({ secret }) })
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' })
  const token = await signToken(secret, { userId: 'u1', name: 'ann' })
  const client = connect(`ws://127.0.0.1:${port}/ws`, { token, WebSocket })
  try {
    const room = await client.join('general')
    const received = new Promise((resolve) => room.on('message', resolve))
    const sent = await room.send('hello from require')
    assert.equal(sent.text, 'hello from require')
    const message = await received
    assert.equal(message.text, 'hello from require')
    assert.equal(message.offset, sent.offset)
    console.log(`cjs: server and client exchanged a message (offset ${sent.offset})`)
  } finally {
    client.close()
    await server.close({ graceMs: 1000 })
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
