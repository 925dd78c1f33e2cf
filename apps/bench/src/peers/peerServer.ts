import { peers } from './peers.js'

/**
 * One peer server in its own process (started pinned to the server core, with `--expose-gc`).
 * argv: <peer name>. IPC out: listening {port}. IPC in: memory → memory {rss, heapUsed} after a
 * full GC (the same reading for every peer); exit. CPU time is read by the runner from
 * /proc/<pid>/stat, so the server does no bookkeeping of its own in the measured window.
 */
const name = process.argv[2] ?? ''
const peer = peers[name]
if (!peer) throw new Error(`unknown peer ${name}`)

const running = await peer.start()
process.send?.({ type: 'listening', port: running.port })

const gc = (globalThis as { gc?: () => void }).gc
process.on('message', (msg: { type: string }) => {
  if (msg.type === 'memory') {
    gc?.()
    gc?.()
    const { rss, heapUsed } = process.memoryUsage()
    process.send?.({ type: 'memory', rss, heapUsed, gc: gc !== undefined })
  } else if (msg.type === 'exit') {
    void running.close().finally(() => process.exit(0))
  }
})
