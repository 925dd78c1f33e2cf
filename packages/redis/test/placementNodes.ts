import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { RoomBehaviour } from '@hubbub/rooms'
import { createServer } from '@hubbub/server'
import { wsTransport } from '@hubbub/transport-ws'
import { Redis } from 'ioredis'
import { expect, onTestFinished } from 'vitest'
import { WebSocket } from 'ws'
import { RedisRoomPlacement } from '../src/placement/RedisRoomPlacement.js'
import { RedisRoomStateStore } from '../src/RedisRoomStateStore.js'
import { redisNode } from '../src/redisNode.js'
import { counterRoom } from './fixtures/counterRoom.js'
import { REDIS_URL } from './redisEnv.js'

/**
 * Nodes with room placement on one prefix, for the placement tests: in this process (closed when
 * the test ends) or in a child process (to be killed), and raw protocol clients of them.
 */

const fixture = fileURLToPath(new URL('./fixtures/placementNode.ts', import.meta.url))
const packageDir = fileURLToPath(new URL('..', import.meta.url))
export const settle = { timeout: 20_000, interval: 50 }

export type Frame = { type: string } & Record<string, unknown>

export function redisClient(): Redis {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
  redis.on('error', () => {})
  onTestFinished(() => redis.disconnect())
  return redis
}

export function placementNodes(prefix: string, timing = { leaseTtlMs: 1000, renewEveryMs: 300 }) {
  async function inProcessNode(
    nodeId: string,
    options: { leaseTtlMs?: number; renewEveryMs?: number; rooms?: RoomBehaviour | RoomBehaviour[] } = {},
  ) {
    const node = redisNode({ redis: REDIS_URL, prefix, nodeId })
    const state = new RedisRoomStateStore({ redis: REDIS_URL, prefix })
    const placement = new RedisRoomPlacement({
      redis: REDIS_URL,
      prefix,
      leaseTtlMs: options.leaseTtlMs ?? timing.leaseTtlMs,
      renewEveryMs: options.renewEveryMs ?? timing.renewEveryMs,
    })
    const server = createServer({
      ...node.server,
      state,
      placement,
      rooms: (options.rooms ?? counterRoom) as never,
      transport: wsTransport,
      auth: { anonymous: true },
      heartbeatMs: 0,
      nodeId,
      // A client joins 50 rooms at once: the per-connection rate limit would refuse some joins.
      limits: { ratePerSecond: 1_000_000, rateBurst: 1_000_000 },
    })
    onTestFinished(async () => {
      await server.close({ graceMs: 1000 })
      await placement.close()
      await Promise.all([node.close(), state.disconnect()])
    })
    const { port } = await server.listen({ port: 0, host: '127.0.0.1' })
    return { port, placement, state, log: node.server.log }
  }

  /** A node in a child process, to be killed with SIGKILL; resolves once it listens. */
  async function childNode(nodeId: string) {
    const child: ChildProcess = spawn(
      process.execPath,
      ['--conditions=@hubbub/source', '--import', 'tsx', fixture],
      {
        cwd: packageDir,
        env: {
          ...process.env,
          REDIS_URL,
          PLACEMENT_PREFIX: prefix,
          NODE_ID: nodeId,
          LEASE_TTL_MS: String(timing.leaseTtlMs),
          RENEW_EVERY_MS: String(timing.renewEveryMs),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    })
    let out = ''
    child.stderr!.on('data', (d) => (out += d))
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout!.on('data', (d) => {
        out += d
        const m = /listening (\d+)/.exec(out)
        if (m) resolve(Number(m[1]))
      })
      child.once('exit', (code, signal) =>
        reject(new Error(`node exited (${code ?? signal}) before listening:\n${out}`)),
      )
    })
    return { child, port }
  }

  async function lease(roomId: string): Promise<string | null> {
    return redisClient().get(`{${prefix}:${roomId}}:lease`)
  }

  return { inProcessNode, childNode, lease }
}

/** A raw protocol client in some rooms: every frame it receives, in order. */
export async function client(port: number, name: string, rooms: string[]) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, 'hubbub.v1.json')
  const frames: Frame[] = []
  ws.on('message', (data) => frames.push(JSON.parse(String(data)) as Frame))
  onTestFinished(() => ws.close())
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  const send = (frame: Record<string, unknown>, id: string): void => {
    ws.send(JSON.stringify({ ...frame, id }))
  }
  for (const roomId of rooms) send({ type: 'join', roomId, username: name }, `${name}-join-${roomId}`)
  // Synced in every room once the room's state reached it (its onSync runs on the owner).
  await expect
    .poll(() => new Set(frames.filter((f) => f.type === 'state').map((f) => f.roomId)).size, settle)
    .toBe(rooms.length)
  const states = (roomId: string) =>
    frames.filter((f) => f.type === 'state' && f.roomId === roomId).map((f) => `${f.moves}:${f.count}`)
  /** Sends a frame with `id` until an answer other than the retryable `UNAVAILABLE` comes back. */
  const answer = async (frame: Record<string, unknown>, id: string): Promise<Frame> => {
    for (;;) {
      const before = frames.filter((f) => f.replyTo === id).length
      send(frame, id)
      await expect.poll(() => frames.filter((f) => f.replyTo === id).length, settle).toBe(before + 1)
      const got = frames.filter((f) => f.replyTo === id)[before]!
      if (got.type !== 'error' || got.code !== 'UNAVAILABLE') return got
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  const close = async (): Promise<void> => {
    if (ws.readyState === ws.CLOSED) return
    await new Promise((resolve) => {
      ws.once('close', resolve)
      ws.close()
    })
  }
  return { frames, states, send, answer, ws, close }
}
