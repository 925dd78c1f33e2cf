/**
 * Forwarding cost of room placement: the latency of a move (sent, applied by the owner, acknowledged)
 * from a member on the owner's node and from a member on another node, on a real Redis. Prints both,
 * then, as its last line, a JSON object with `forwardAddedP50Ms` and `forwardAddedP99Ms`.
 *
 *   pnpm --filter @hubbub/redis bench:placement            (MOVES=2000 by default, REDIS_URL)
 */
import { execSync } from 'node:child_process'
import { createServer } from '@hubbub/server'
import { wsTransport } from '@hubbub/transport-ws'
import { Redis } from 'ioredis'
import { WebSocket } from 'ws'
import { RedisRoomPlacement } from '../src/placement/RedisRoomPlacement.js'
import { RedisRoomStateStore } from '../src/RedisRoomStateStore.js'
import { redisNode } from '../src/redisNode.js'
import { counterRoom } from '../test/fixtures/counterRoom.js'

const redis = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const moves = Number(process.env.MOVES ?? 2000)
const prefix = `hubbub-bench:placement:${process.pid}`
const roomId = 'bench'

async function startNode(nodeId: string) {
  const node = redisNode({ redis, prefix, nodeId })
  const state = new RedisRoomStateStore({ redis, prefix })
  const placement = new RedisRoomPlacement({ redis, prefix })
  const server = createServer({
    ...node.server,
    state,
    placement,
    rooms: counterRoom,
    transport: wsTransport,
    auth: { anonymous: true },
    heartbeatMs: 0,
    nodeId,
    // One member sends moves back to back: the per-connection rate limit (20/s) would drop them.
    limits: { ratePerSecond: 1_000_000, rateBurst: 1_000_000 },
    logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  })
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' })
  const close = async () => {
    await server.close({ graceMs: 500 })
    await placement.close()
    await Promise.all([node.close(), state.disconnect()])
  }
  return { port, close }
}

/** A member that sends moves one at a time and times each until its `ack`. */
async function member(port: number, name: string) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, 'hubbub.v1.json')
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  const waiting = new Map<string, (frame: Record<string, unknown>) => void>()
  ws.on('message', (data) => {
    const frame = JSON.parse(String(data)) as Record<string, unknown>
    const id = frame.replyTo as string | undefined
    if (id !== undefined) waiting.get(id)?.(frame)
  })
  let n = 0
  const request = (frame: Record<string, unknown>) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const id = `${name}-${++n}`
      waiting.set(id, (answer) => {
        waiting.delete(id)
        resolve(answer)
      })
      ws.send(JSON.stringify({ ...frame, id }))
    })
  const joined = await request({ type: 'join', roomId, username: name })
  if (joined.type !== 'joined') throw new Error(`join failed: ${JSON.stringify(joined)}`)
  const time = async (count: number): Promise<number[]> => {
    const out: number[] = []
    for (let k = 0; k < count; k++) {
      const start = performance.now()
      const answer = await request({ type: 'add', roomId, n: 1 })
      if (answer.type !== 'ack') throw new Error(`move refused: ${JSON.stringify(answer)}`)
      out.push(performance.now() - start)
    }
    return out
  }
  return { time, close: () => ws.close() }
}

const pct = (xs: number[], p: number): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}
const round = (x: number): number => Math.round(x * 1000) / 1000

const owner = await startNode('bench-owner')
const other = await startNode('bench-other')
const local = await member(owner.port, 'local') // joins first: its node owns the room
const remote = await member(other.port, 'remote')
await local.time(200) // warm-up
await remote.time(200)
const onOwner: number[] = []
const forwarded: number[] = []
// Interleaved in rounds, so both see the same machine load.
for (let round = 0; round < 10; round++) {
  onOwner.push(...(await local.time(moves / 10)))
  forwarded.push(...(await remote.time(moves / 10)))
}
local.close()
remote.close()
await Promise.all([owner.close(), other.close()])
const cleaner = new Redis(redis)
for (const match of [`{${prefix}*`, `${prefix}*`]) {
  let cursor = '0'
  do {
    const [next, keys] = await cleaner.scan(cursor, 'MATCH', match, 'COUNT', 500)
    cursor = next
    if (keys.length > 0) await cleaner.del(...keys)
  } while (cursor !== '0')
}
cleaner.disconnect()

console.log(`uptime: ${execSync('uptime').toString().trim()}`)
console.log(`moves per side: ${moves}`)
console.log(`owner node:  p50 ${round(pct(onOwner, 50))} ms, p99 ${round(pct(onOwner, 99))} ms`)
console.log(`other node:  p50 ${round(pct(forwarded, 50))} ms, p99 ${round(pct(forwarded, 99))} ms`)
console.log(
  JSON.stringify({
    moves,
    ownerP50Ms: round(pct(onOwner, 50)),
    ownerP99Ms: round(pct(onOwner, 99)),
    forwardedP50Ms: round(pct(forwarded, 50)),
    forwardedP99Ms: round(pct(forwarded, 99)),
    forwardAddedP50Ms: round(pct(forwarded, 50) - pct(onOwner, 50)),
    forwardAddedP99Ms: round(pct(forwarded, 99) - pct(onOwner, 99)),
  }),
)
