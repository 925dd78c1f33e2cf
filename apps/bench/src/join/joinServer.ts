import { type RunningServer, startTransport, type TransportName } from '../server/benchTransport.js'

/**
 * Server side of the join bench, in its own pinned process.
 * argv: <ws|uws> <raw|full>
 *  raw:  the bare transport; a connection's text frame `join <room>` subscribes it to the room's
 *        topic and is answered with one frame, the least a server can do for a join.
 *  full: the Hubbub server; clients send `join` over the protocol and wait for `joined`.
 * IPC in: mark (CPU counter starts) → cpu {ms} (CPU since mark); exit.
 */
const [transportName = 'ws', mode = 'raw'] = process.argv.slice(2) as [TransportName, string]

const startRaw = () =>
  startTransport(transportName, (connection) => {
    connection.onMessage((data) => {
      if (typeof data !== 'string' || !data.startsWith('join ')) return
      const roomId = data.slice(5)
      connection.subscribe(roomId)
      connection.send(`{"type":"joined","roomId":"${roomId}"}`)
    })
  })

async function startFull(): Promise<RunningServer> {
  const { startFullServer } = await import('../server/startFullServer.js')
  return startFullServer(transportName)
}

const running = await (mode === 'full' ? startFull() : startRaw())
process.send?.({ type: 'listening', port: running.port })

let mark = process.cpuUsage()
process.on('message', (msg: { type: string }) => {
  if (msg.type === 'mark') {
    mark = process.cpuUsage()
    process.send?.({ type: 'marked' })
  } else if (msg.type === 'cpu') {
    const used = process.cpuUsage(mark)
    process.send?.({ type: 'cpu', ms: (used.user + used.system) / 1000 })
  } else if (msg.type === 'exit') {
    void running.close().finally(() => process.exit(0))
  }
})
