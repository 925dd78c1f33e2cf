import { benchTransport, type TransportName } from './benchTransport.js'

/**
 * Server side of the memory bench, in its own pinned process (run with --expose-gc).
 * argv: <ws|uws> <raw|full>
 *  raw:  the bare transport; a connection's first text frame names the topic it subscribes to.
 *  full: the Hubbub server; clients join rooms over the protocol.
 * IPC in: measure → memory {rss, heapUsed, external, arrayBuffers}; exit.
 */
const [transportName = 'ws', mode = 'raw'] = process.argv.slice(2) as [TransportName, string]

interface Running {
  port: number
  close(): Promise<void>
}

async function startRaw(): Promise<Running> {
  const transport = await benchTransport(transportName)
  transport.onConnection((connection) => {
    connection.onMessage((data) => {
      if (typeof data === 'string') connection.subscribe(data)
    })
  })
  const { port } = await transport.listen({ port: 0, host: '127.0.0.1' })
  return { port, close: () => transport.close({ graceMs: 0 }) }
}

async function startFull(): Promise<Running> {
  const { startFullServer } = await import('./startFullServer.js')
  return startFullServer(transportName)
}

const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('memoryServer needs --expose-gc')

/** Full GCs with turns of the event loop between them, so finalizers and weak callbacks run. */
async function settledMemory(): Promise<NodeJS.MemoryUsage> {
  for (let i = 0; i < 6; i++) {
    gc!()
    await new Promise((r) => setTimeout(r, 50))
  }
  return process.memoryUsage()
}

const running = await (mode === 'full' ? startFull() : startRaw())
process.send?.({ type: 'listening', port: running.port })

process.on('message', (msg: { type: string }) => {
  if (msg.type === 'measure') {
    void settledMemory().then((m) =>
      process.send?.({
        type: 'memory',
        rss: m.rss,
        heapUsed: m.heapUsed,
        external: m.external,
        arrayBuffers: m.arrayBuffers,
      }),
    )
  } else if (msg.type === 'exit') {
    void running.close().finally(() => process.exit(0))
  }
})
