/**
 * A bench server child: `hubbub-ws`, `hubbub-uws` (a `yjsRoom` for every room, the in-memory
 * log and state store) or `hocuspocus` (`@hocuspocus/server` 3, no extensions). Reports its
 * port, then answers `mark` (CPU so far), `memory` (after a full GC) and `exit`.
 */
import { Server as Hocuspocus } from '@hocuspocus/server'
import { createServer, type ServerOptions } from '@hubbub/server'
import { uwsTransport } from '@hubbub/transport-uws'
import { wsTransport } from '@hubbub/transport-ws'
import { yjsRoom } from '../src/index.js'
import { reply, serve } from './ipc.js'

const kind = process.argv[2]
const gc = (globalThis as { gc?: () => void }).gc

function memory() {
  gc?.()
  gc?.()
  const m = process.memoryUsage()
  return {
    rss: m.rss,
    heapUsed: m.heapUsed,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    gc: gc !== undefined,
  }
}

async function start(): Promise<number> {
  if (kind === 'hocuspocus') {
    const server = new Hocuspocus({ port: 0, address: '127.0.0.1', quiet: true, stopOnSignals: false })
    await server.listen()
    return server.address.port
  }
  if (kind === 'hubbub-ws' || kind === 'hubbub-uws') {
    const server = createServer({
      transport: kind === 'hubbub-ws' ? wsTransport : uwsTransport,
      auth: { anonymous: true },
      rooms: yjsRoom(),
    } as ServerOptions)
    const { port } = await server.listen({ port: 0, host: '127.0.0.1' })
    return port
  }
  throw new Error(`unknown server kind ${kind}`)
}

const baseline = memory()
const port = await start()
const listening = memory()
reply({ type: 'ready', port, baseline, listening, pid: process.pid })
serve((m) => {
  if (m.type === 'mark') reply({ type: 'mark', cpu: process.cpuUsage(), at: performance.now() })
  if (m.type === 'memory') reply({ type: 'memory', ...memory() })
})
