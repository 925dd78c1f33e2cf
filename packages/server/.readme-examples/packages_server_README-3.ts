import { attach, hmacAuth } from '@hubbub/server'
import { wsTransport } from '@hubbub/transport-ws'
import express from 'express'

const app = express()
app.use(express.json())
const httpServer = app.listen(3000)
const hubbub = attach(httpServer, {
  transport: wsTransport, // uWebSockets.js owns its sockets and cannot share a server
  auth: hmacAuth({ secret: process.env.HUBBUB_SECRET! }),
  broadcastSecret: process.env.BROADCAST_SECRET,
})
app.use('/hubbub', hubbub.handler) // /hubbub/health, /hubbub/api/stats, POST /hubbub/api/broadcast…
app.post('/orgs/:org/notice', async (req, res) => {
  const delivered = await hubbub.broadcastWhere({ orgId: req.params.org }, { type: 'notice', text: req.body.text })
  res.json({ delivered })
})
process.on('SIGTERM', () => httpServer.close())
export {}
