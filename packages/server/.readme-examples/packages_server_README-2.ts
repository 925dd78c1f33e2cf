import { createServer, hmacAuth } from '@hubbub/server'
import { uwsTransport } from '@hubbub/transport-uws'

const server = createServer({
  transport: uwsTransport, // needs the uWebSockets.js peer dependency
  transportOptions: { allowedOrigins: ['https://chat.example'] },
  auth: hmacAuth({ secret: process.env.HUBBUB_SECRET! }),
  broadcastSecret: process.env.BROADCAST_SECRET,
  http: { staticFiles: { dir: './public' } },
})
const { port } = await server.listen({ port: 7201 })
console.log(`ws://localhost:${port}/ws`)
process.on('SIGTERM', () => server.close({ graceMs: 10_000 }))
export {}
