import { join } from 'node:path'
import { writeHeapSnapshot } from 'node:v8'
import { type RunningServer, startTransport, type TransportName } from './benchTransport.js'

/**
 * Server side of the memory bench, in its own pinned process (run with --expose-gc).
 * argv: <ws|uws> <raw|full>
 *  raw:  the bare transport; a connection's first text frame names the topic it subscribes to.
 *  full: the Hubbub server; clients join rooms over the protocol.
 *  bare: the library alone (the transport bench's `ws-raw` / `uws-raw` servers, one topic for all).
 * IPC in: measure → memory {rssNow, rss, heapUsed, heapTotal, external, arrayBuffers, waitedMs}; exit.
 * With HEAP_SNAPSHOT_DIR set, each measurement also writes a heap snapshot there (to see what a connection holds).
 */
const [transportName = 'ws', mode = 'raw'] = process.argv.slice(2) as [TransportName, string]

const startRaw = () =>
  startTransport(transportName, (connection) => {
    connection.onMessage((data) => {
      if (typeof data === 'string') connection.subscribe(data)
    })
  })

async function startFull(): Promise<RunningServer> {
  const { startFullServer } = await import('./startFullServer.js')
  return startFullServer(transportName)
}

const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('memoryServer needs --expose-gc')

/** Full GCs with turns of the event loop between them, so finalizers and weak callbacks run. */
async function collected(): Promise<NodeJS.MemoryUsage> {
  for (let i = 0; i < 6; i++) {
    gc!()
    await new Promise((r) => setTimeout(r, 50))
  }
  return process.memoryUsage()
}

/**
 * Memory once the process has been idle long enough that RSS stops falling. V8 keeps
 * freed 256 KiB pages in a pool and shrinks the young generation only after some idle
 * seconds (seen here: the empty server drops 10–25 MiB between 5 and 35 s after start),
 * so a reading taken at once counts pages about to be given back, and how many depends
 * on timing. Both states (empty and loaded) are read the same way: a forced GC every
 * second until RSS has not dropped by more than 256 KiB for SETTLE_STABLE_MS (30 s),
 * at most SETTLE_MAX_MS (120 s). `now` is the reading right after the first GC.
 */
const stableMs = Number(process.env.SETTLE_STABLE_MS ?? 30_000)
const maxMs = Number(process.env.SETTLE_MAX_MS ?? 120_000)
async function settledMemory(): Promise<{
  now: NodeJS.MemoryUsage
  settled: NodeJS.MemoryUsage
  waitedMs: number
}> {
  const now = await collected()
  const start = Date.now()
  let settled = now
  let low = now.rss
  let lastDrop = start
  while (Date.now() - lastDrop < stableMs && Date.now() - start < maxMs) {
    await new Promise((r) => setTimeout(r, 1000))
    settled = await collected()
    if (settled.rss < low - 256 * 1024) lastDrop = Date.now()
    low = Math.min(low, settled.rss)
  }
  return { now, settled, waitedMs: Date.now() - start }
}

async function startBare(): Promise<RunningServer> {
  const { benchServers } = await import('../servers/index.js')
  const load = benchServers[`${transportName}-raw`]
  if (!load) throw new Error(`no bare ${transportName} server`)
  return (await load())()
}

const running = await (mode === 'full' ? startFull() : mode === 'bare' ? startBare() : startRaw())
process.send?.({ type: 'listening', port: running.port })

process.on('message', (msg: { type: string }) => {
  if (msg.type === 'measure') {
    void settledMemory().then(({ now, settled, waitedMs }) => {
      const dir = process.env.HEAP_SNAPSHOT_DIR
      if (dir)
        writeHeapSnapshot(join(dir, `${transportName}-${mode}-${process.pid}-${Date.now()}.heapsnapshot`))
      process.send?.({
        type: 'memory',
        rssNow: now.rss,
        rss: settled.rss,
        heapUsed: settled.heapUsed,
        heapTotal: settled.heapTotal,
        external: settled.external,
        arrayBuffers: settled.arrayBuffers,
        waitedMs,
      })
    })
  } else if (msg.type === 'exit') {
    void running.close().finally(() => process.exit(0))
  }
})
