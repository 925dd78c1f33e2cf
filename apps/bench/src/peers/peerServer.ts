import { peers } from './peers.js'

/**
 * One peer server in its own process (started pinned to the server core, with `--expose-gc`).
 * argv: <peer name> [redisUrl prefix]: with a Redis URL, `hubbub-ws` / `hubbub-uws` run as one
 * node on Redis (`redisNode`: room log, bus, presence, registry under `prefix`), as in `nodes.ts`. IPC out: listening {port}. IPC in: memory → memory {rss, heapUsed} after a
 * full GC (the same reading for every peer); exit. CPU time is read by the runner from
 * /proc/<pid>/stat, so the server does no bookkeeping of its own in the measured window.
 */
const [name = '', redisUrl, prefix] = process.argv.slice(2)
const peer = peers[name]
if (!peer) throw new Error(`unknown peer ${name}`)

const running =
  redisUrl && prefix
    ? await (await import('../redis/redisNodeServer.js')).startRedisNode(
        name === 'hubbub-uws' ? 'uws' : 'ws',
        redisUrl,
        prefix,
      )
    : await peer.start()
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
