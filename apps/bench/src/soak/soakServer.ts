import type { TransportName } from '../server/benchTransport.js'
import { startFullServer } from '../server/startFullServer.js'

/**
 * Server side of the soak, in its own process (run with --expose-gc): the full Hubbub
 * server. IPC out: {type:'listening', port}. IPC in: sample → {type:'sample', rss,
 * heapUsed} (heap after a full GC, RSS as the OS sees it); exit.
 */
const transportName = (process.argv[2] ?? 'ws') as TransportName
const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('soakServer needs --expose-gc')

const server = await startFullServer(transportName)
process.send?.({ type: 'listening', port: server.port })
process.on('message', async (msg: { type: string }) => {
  if (msg.type === 'sample') {
    gc()
    const { rss, heapUsed } = process.memoryUsage()
    process.send?.({ type: 'sample', rss, heapUsed })
  } else if (msg.type === 'exit') {
    await server.close()
    process.exit(0)
  }
})
