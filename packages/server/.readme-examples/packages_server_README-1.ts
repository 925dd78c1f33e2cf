import { createServer, hmacAuth } from '@hubbub/server'
import { wsTransport } from '@hubbub/transport-ws'

const server = createServer({
  transport: wsTransport, // the factory: the server passes it auth, limits, subprotocols
  transportOptions: { allowedOrigins: ['https://chat.example'] },
  auth: hmacAuth({ secret: process.env.HUBBUB_SECRET! }),
  broadcastSecret: process.env.BROADCAST_SECRET,
  http: { staticFiles: { dir: './public' } },
})
const { port } = await server.listen({ port: 7201 })
console.log(`ws://localhost:${port}/ws`)
process.on('SIGTERM', () => server.close({ graceMs: 10_000 }))
export {}
