import { type ChildProcess, spawn } from 'node:child_process'
import { connect, createServer } from 'node:net'
import { availableParallelism } from 'node:os'
import { Redis } from 'ioredis'

/** A free loopback port (redis-server refuses port 0): bind one, note it, release it. */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** True once something on 127.0.0.1:`port` accepts a connection. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

export interface OwnRedis {
  url: string
  /** The server's CPU seconds so far (user + system, every thread), from `INFO cpu`. */
  cpuSeconds(): Promise<number>
  /** Bytes held by the keys whose names contain `prefix` (`MEMORY USAGE` of each, found by SCAN). */
  keyBytes(prefix: string): Promise<number>
  stop(): Promise<void>
}

/**
 * A redis-server of the bench's own on a free port (never the shared one), without persistence,
 * pinned to `cpu` with taskset when the machine has that core.
 */
export async function startOwnRedis(cpu: number): Promise<OwnRedis> {
  const port = await freePort()
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
  const pin = availableParallelism() > cpu
  const child: ChildProcess = spawn(
    pin ? 'taskset' : 'redis-server',
    pin ? ['-c', String(cpu), 'redis-server', ...args] : args,
    { stdio: 'ignore' },
  )
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (err) => reject(new Error(`could not start redis-server: ${err.message}`)))
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code})`)))
  })
  failed.catch(() => {})
  const url = `redis://127.0.0.1:${port}`
  // Ready once its port takes a connection (it takes a moment to bind it), then once it answers a
  // PING. The port is probed with a plain socket: an ioredis client dropped mid-connect can
  // reject a promise nobody holds any more, which ended the bench on a loaded machine.
  for (let attempt = 0; !(await accepts(port)); attempt++) {
    if (attempt >= 400 || child.exitCode !== null) throw new Error('redis-server did not open its port')
    await Promise.race([new Promise((resolve) => setTimeout(resolve, 25)), failed])
  }
  const client = new Redis(url, { maxRetriesPerRequest: 1 })
  client.on('error', () => {})
  await Promise.race([client.ping(), failed])
  return {
    url,
    async cpuSeconds() {
      const info = await client.info('cpu')
      const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0)
      return field('used_cpu_user') + field('used_cpu_sys')
    },
    async keyBytes(prefix) {
      let bytes = 0
      let cursor = '0'
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1000)
        cursor = next
        const sizes = await Promise.all(keys.map((key) => client.memory('USAGE', key)))
        for (const size of sizes) bytes += Number(size ?? 0)
      } while (cursor !== '0')
      return bytes
    },
    async stop() {
      client.disconnect()
      if (child.exitCode !== null || child.signalCode !== null) return
      const gone = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGKILL')
      await gone
    },
  }
}
