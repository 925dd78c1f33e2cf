import { INSPECTOR_BENCH_SECRET } from '../inspector/secret.js'
import { type RunningServer, startTransport, type TransportName } from './benchTransport.js'
import { windowProfiler } from './windowProfiler.js'
import { windowStrace } from './windowStrace.js'

/**
 * Server side of the full-server fan-out bench, in its own pinned process.
 * argv: <ws|uws> <raw|full|inspector|redis|sio|sio-redis> [redisUrl] [prefix]
 *  raw:  the bare transport; every connection is subscribed to one topic and
 *        each text frame received is handed as-is to `transport.publish`.
 *  full: the Hubbub server (protocol, connection and room actors, bus).
 *  inspector: the same with its inspector enabled (secret `INSPECTOR_BENCH_SECRET`); open or not is up to the bench.
 *  redis: the Hubbub server as one node on Redis (`redisNode` at redisUrl, key prefix `prefix`).
 *  redis-per-publish: the same with one publish script call per message (`maxPublishBatch: 1`).
 *  sio, sio-redis: Socket.IO (the Redis bench's peer row), alone or with `@socket.io/redis-adapter`.
 * IPC out: {type:'listening', port}; in: cpu-start → cpu-started, cpu-stop → cpu {us}, exit.
 * With PROFILE_DIR set, the measured window (only) is CPU-profiled into that folder.
 */
const [transportName = 'ws', mode = 'raw', redisUrl = 'redis://127.0.0.1:6379', prefix = 'bench'] =
  process.argv.slice(2) as [TransportName, string, string?, string?]
export const TOPIC = 'bench'

const startRaw = () =>
  startTransport(transportName, (connection, transport) => {
    connection.subscribe(TOPIC)
    connection.onMessage((data) => transport.publish(TOPIC, data))
  })

async function startFull(): Promise<RunningServer> {
  const { startFullServer } = await import('./startFullServer.js')
  return startFullServer(transportName)
}

async function start(): Promise<RunningServer> {
  if (mode === 'full') return startFull()
  if (mode === 'inspector') {
    const { startFullServer } = await import('./startFullServer.js')
    return startFullServer(transportName, { inspector: { secret: INSPECTOR_BENCH_SECRET } })
  }
  if (mode === 'redis' || mode === 'redis-per-publish')
    return (await import('../redis/redisNodeServer.js')).startRedisNode(
      transportName,
      redisUrl,
      prefix,
      mode === 'redis-per-publish' ? 1 : undefined,
    )
  if (mode === 'sio') return (await import('../redis/socketIoServer.js')).startSocketIo()
  if (mode === 'sio-redis')
    return (await import('../redis/socketIoServer.js')).startSocketIo(redisUrl, prefix)
  return startRaw()
}

const running = await start()
process.send?.({ type: 'listening', port: running.port })

const profiler = windowProfiler(`${transportName}-${mode}`)
const strace = windowStrace(`${transportName}-${mode}`)
let cpu0 = process.cpuUsage()
let t0 = performance.now()
process.on('message', async (msg: { type: string }) => {
  if (msg.type === 'cpu-start') {
    await profiler.start()
    await strace.start()
    cpu0 = process.cpuUsage()
    t0 = performance.now()
    process.send?.({ type: 'cpu-started' })
  } else if (msg.type === 'cpu-stop') {
    const used = process.cpuUsage(cpu0)
    const elapsedMs = performance.now() - t0
    await profiler.stop()
    await strace.stop()
    process.send?.({ type: 'cpu', us: used.user + used.system, userUs: used.user, elapsedMs })
  } else if (msg.type === 'exit') {
    void running.close().finally(() => process.exit(0))
  }
})
