import { type ChildProcess, spawn } from 'node:child_process'
import { createServer as createNetServer } from 'node:net'
import { type ConnectOptions, connect, type Room } from '@hubbub/client'
import type { RoomMessageFrame } from '@hubbub/protocol'
import { createServer } from '@hubbub/server'
import { wsTransport } from '@hubbub/transport-ws'
import { Redis } from 'ioredis'
import { expect, onTestFinished } from 'vitest'
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
export async function freePort(): Promise<number> {
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

/** Records each room's messages as the client delivers them. */
export function watch(room: Room) {
  const messages: RoomMessageFrame[] = []
  const gaps: unknown[] = []
  room.on('message', (m) => messages.push(m))
  room.on('gap', (g) => gaps.push(g))
  return { room, messages, gaps }
}

export const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1)

/**
 * Waits until every member has `total` messages, then checks one order everywhere: offsets
 * 1..total, the same (offset, from, text) at every member, no gap, and each publisher `u<p>`'s
 * messages at the offsets its sends were answered with (`sent[p]`).
 */
export async function expectOneOrder(
  members: readonly ReturnType<typeof watch>[],
  sent: readonly (readonly RoomMessageFrame[])[],
  total: number,
): Promise<void> {
  for (const m of members) await expect.poll(() => m.messages.length, { timeout: 15_000 }).toBe(total)
  const reference = members[0]!.messages.map((m) => [m.offset, m.from, m.text])
  expect(members[0]!.messages.map((m) => m.offset)).toEqual(range(total))
  for (const m of members) {
    expect(m.messages.map((x) => [x.offset, x.from, x.text])).toEqual(reference)
    expect(m.gaps).toEqual([])
  }
  for (const [p, echoes] of sent.entries()) {
    const mine = members[0]!.messages.filter((m) => m.from === `u${p}`)
    expect(mine.map((m) => m.offset)).toEqual(echoes.map((e) => e.offset))
  }
}

/** Joins `roomId` on a raw socket with `since`, and answers the `joined` and `history` frames. */
export async function rawJoin(
  url: string,
  roomId: string,
  username: string,
  since: { offset: number; epoch: string },
) {
  const ws = new WebSocket(url, 'hubbub.v1.json')
  const frames: Record<string, any>[] = []
  const history = new Promise<Record<string, any>>((resolve, reject) => {
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data))
      frames.push(frame)
      if (frame.type === 'history') resolve(frame)
      if (frame.type === 'error') reject(new Error(`${frame.code}: ${frame.message}`))
    })
    ws.on('error', reject)
  })
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  ws.send(JSON.stringify({ type: 'join', roomId, username, since }))
  try {
    const h = await history
    return { joined: frames.find((f) => f.type === 'joined')!, history: h }
  } finally {
    ws.close()
  }
}
