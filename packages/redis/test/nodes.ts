import { type ChildProcess, spawn } from 'node:child_process'
import { createServer as createNetServer } from 'node:net'
import { type ConnectOptions, connect } from '@hubbub/client'
import { createServer } from '@hubbub/server'
import { wsTransport } from '@hubbub/transport-ws'
import { Redis } from 'ioredis'
import { onTestFinished } from 'vitest'
import { WebSocket } from 'ws'
import { RedisBusAdapter, type RedisConnectionTarget, RedisRoomLog, type RoomLogGap } from '../src/index.js'
import { REDIS_URL } from './redisEnv.js'

/**
 * One node: a server on a free port with a room log and a bus adapter of its own (its own Redis
 * connections) on `prefix`, as a separate process would have. Closed when the test ends.
 */
export async function startNode(
  prefix: string,
  options: { redis?: RedisConnectionTarget; historySize?: number } = {},
) {
  const redis = options.redis ?? REDIS_URL
  const gaps: RoomLogGap[] = []
  const errors: unknown[] = []
  const log = new RedisRoomLog({
    redis,
    prefix,
    historySize: options.historySize ?? 1000,
    onGap: (gap) => gaps.push(gap),
  })
  const adapter = new RedisBusAdapter({ redis, prefix: `${prefix}:bus:` })
  const server = createServer({
    transport: wsTransport,
    auth: { anonymous: true },
    heartbeatMs: 0,
    log,
    bus: adapter,
    logger: { debug: () => {}, info: () => {}, warn: () => {}, error: (obj) => errors.push(obj) },
  })
  onTestFinished(async () => {
    await server.close({ graceMs: 500 })
    await adapter.close()
    await log.disconnect()
  })
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' })
  return { url: `ws://127.0.0.1:${port}/ws`, server, log, adapter, gaps, errors }
}

/** A client with a short backoff, closed when the test ends. */
export function testClient(url: string, options: ConnectOptions = {}) {
  const client = connect(url, {
    WebSocket: WebSocket as never,
    reconnect: { minMs: 10, maxMs: 40, factor: 2, jitter: 0.5 },
    ...options,
  })
  onTestFinished(() => client.close())
  return client
}

/** A free TCP port on loopback (for a Redis of the test's own). */
async function freePort(): Promise<number> {
  const server = createNetServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/**
 * A redis-server of the test's own, without persistence, on a free port: `stop()` kills it
 * (SIGKILL, as a crash), `start()` starts it again empty on the same port. Stopped when the test ends.
 */
export async function ownRedis() {
  const port = await freePort()
  let child: ChildProcess | undefined
  const url = `redis://127.0.0.1:${port}`
  const start = async (): Promise<void> => {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    )
    // Ready once it answers a PING (it takes a moment to bind its port).
    for (let attempt = 0; ; attempt++) {
      const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
      probe.on('error', () => {})
      try {
        await probe.connect()
        await probe.ping()
        return
      } catch (err) {
        if (attempt >= 200) throw err
        await new Promise((resolve) => setTimeout(resolve, 25))
      } finally {
        probe.disconnect()
      }
    }
  }
  const stop = async (): Promise<void> => {
    const c = child
    child = undefined
    if (c === undefined || c.exitCode !== null) return
    const exited = new Promise((resolve) => c.once('exit', resolve))
    c.kill('SIGKILL')
    await exited
  }
  onTestFinished(stop)
  await start()
  return { url, port, start, stop }
}
