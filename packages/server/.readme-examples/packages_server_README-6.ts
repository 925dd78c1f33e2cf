import { createServer } from '@hubbub/server'
import { wsTransport } from '@hubbub/transport-ws'

const server = createServer({ transport: wsTransport, auth: { anonymous: true }, inspector: { secret: process.env.INSPECTOR_SECRET! } })
const headers = { authorization: `Bearer ${process.env.INSPECTOR_SECRET}` }
const snap = await (await fetch('http://127.0.0.1:8080/inspector/snapshot', { headers })).json()
await fetch('http://127.0.0.1:8080/inspector/actions', {
  method: 'POST',
  headers,
  body: JSON.stringify({ action: 'crash', roomId: 'lobby' }),
})
export {}
