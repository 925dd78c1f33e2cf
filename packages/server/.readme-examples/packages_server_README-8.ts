import { createServer, jwksAuth } from '@hubbub/server'
import { wsTransport } from '@hubbub/transport-ws'

const server = createServer({
  transport: wsTransport,
  auth: jwksAuth({
    jwksUrl: 'https://login.example.com/.well-known/jwks.json',
    issuer: 'https://login.example.com/',
    audience: 'chat',
  }),
})
export {}
