// Type-checked (never run) by the release test against the installed packages: tsc --noEmit
// under strict, exactOptionalPropertyTypes and skipLibCheck: false (see tsconfig.json).
import { type ConnectOptions, connect, HubbubError, type Room } from '@hubbub/client'
import { type HubbubFastifyOptions, hubbub } from '@hubbub/fastify'
import { createServer, hmacAuth, signToken } from '@hubbub/server'
import { wsTransport } from '@hubbub/transport-ws'
import Fastify from 'fastify'
import WebSocket from 'ws'

export async function plainServer(secret: string, broadcastSecret: string | undefined): Promise<number> {
  const server = createServer({
    transport: wsTransport,
    transportOptions: { allowedOrigins: ['https://chat.example'] },
    auth: hmacAuth({ secret }),
    // An unset value (e.g. process.env.BROADCAST_SECRET) is allowed under exactOptionalPropertyTypes.
    broadcastSecret,
  })
  const { port } = await server.listen({ port: 0 })
  process.on('SIGTERM', () => void server.close({ graceMs: 10_000 }))
  return port
}

export async function fastifyApp(secret: string): Promise<void> {
  const options: HubbubFastifyOptions = {
    auth: hmacAuth({
      secret,
      authorizeJoin: (identity, roomId) => roomId === `org:${String(identity.orgId)}`,
    }),
    prefix: '/hubbub',
  }
  const app = Fastify()
  await app.register(hubbub, options)
  app.post<{ Params: { id: string }; Body: { text: string } }>('/channels/:id/messages', async (request) => {
    const delivered: number = app.hubbub.broadcast(request.params.id, { text: request.body.text })
    return { delivered }
  })
  app.get('/ws/status', async () => app.hubbub.stats())
  await app.listen({ port: 0 })
}

export async function nodeClient(url: string, secret: string): Promise<number> {
  const token = await signToken(secret, { userId: 'u1', name: 'ann' })
  const options: ConnectOptions = { token, WebSocket }
  const client = connect(url, options)
  const room: Room = await client.join('general', { username: 'ann' })
  room.on('message', (m) => {
    const text: string = m.text
    const offset: number = m.offset
    console.log(text, offset)
  })
  client.on('auth_failed', (e) => console.log(e.message))
  try {
    const mine = await room.send('hello')
    return mine.offset
  } catch (err) {
    if (err instanceof HubbubError) console.log(err.code)
    throw err
  } finally {
    client.close()
  }
}
