import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { type Client, connect, type Room } from '@hubbub/client'
import { createServer } from '@hubbub/server'
import { wsTransport } from '@hubbub/transport-ws'
import { afterAll, describe, expect, onTestFinished, test } from 'vitest'
import { WebSocket } from 'ws'
import { redisNode } from '../src/redisNode.js'
import { deletePrefix, REDIS_URL, redisSkipReason, uniquePrefix } from './redisEnv.js'

const available = redisSkipReason === undefined
const prefix = uniquePrefix('presence-death')
const fixture = fileURLToPath(new URL('./fixtures/presenceNode.ts', import.meta.url))
const packageDir = fileURLToPath(new URL('..', import.meta.url))

/** Set by the test: beats often, and a killed node is silent for little more than a second. */
const heartbeatMs = 250
const deadTtlMs = 1500
/** Survivors keep a longer TTL, so a busy machine does not make them look dead to each other. */
const survivorTtlMs = 6000
/** How long a poll waits for presence to settle across nodes: generous, for a busy machine. */
const settle = { timeout: 15_000 }

/** A node in this process: a server with its own Redis log, bus, presence and registry (`redisNode`). */
async function inProcessNode(nodeId: string) {
  const node = redisNode({ redis: REDIS_URL, prefix, nodeId, nodeTtlMs: survivorTtlMs })
  const server = createServer({
    ...node.server,
    transport: wsTransport,
    auth: { anonymous: true },
    heartbeatMs: 0,
    nodeId,
    presenceHeartbeatMs: heartbeatMs,
  })
  onTestFinished(async () => {
    await server.close({ graceMs: 1000 })
    await node.close()
  })
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' })
  return { presence: node.server.presence, port }
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
        REDIS_URL: REDIS_URL,
        PRESENCE_PREFIX: prefix,
        NODE_ID: nodeId,
        NODE_TTL_MS: String(deadTtlMs),
        PRESENCE_HEARTBEAT_MS: String(heartbeatMs),
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

function client(port: number): Client {
  const c = connect(`ws://127.0.0.1:${port}/ws`, {
    WebSocket: WebSocket as never,
    reconnect: { minMs: 10, maxMs: 40, factor: 2, jitter: 0.5 },
  })
  onTestFinished(() => c.close())
  return c
}

interface Stats {
  roomBreakdown: Record<string, number>
  nodes: { node: string; connections: number }[]
}
async function stats(port: number): Promise<Stats> {
  const res = await fetch(`http://127.0.0.1:${port}/api/stats`)
  return (await res.json()) as Stats
}
const nodesOf = (s: Stats) => s.nodes.map((n) => [n.node, n.connections]).sort()

/** Names in every `user_left` a room reports from now on. */
function leaves(room: Room): string[] {
  const out: string[] = []
  room.on('user_left', (f) => out.push(f.username))
  return out
}

describe.skipIf(!available)('node death across real servers sharing presence in Redis', () => {
  afterAll(() => deletePrefix(prefix))

  test('a SIGKILLed node: every other node announces each of its users leaving exactly once, and no ghost stays', async () => {
    const [A, B, C] = [`A-${prefix}`, `B-${prefix}`, `C-${prefix}`]
    const [a, b, c] = await Promise.all([inProcessNode(A), inProcessNode(B), childNode(C)])
    const lobby = 'lobby'
    const annClient = client(a.port)
    const ann = await annClient.join(lobby, { username: 'ann' })
    const bob = await client(b.port).join(lobby, { username: 'bob' })
    const cat = await client(c.port).join(lobby, { username: 'cat' })
    const dan = await client(c.port).join(lobby, { username: 'dan' })
    const everyone = ['ann', 'bob', 'cat', 'dan']

    // While all nodes live, they agree: on the list, on the stats, and on what each member was told.
    for (const room of [ann, bob, cat, dan]) {
      await expect.poll(() => room.listUsers(), settle).toEqual(everyone)
      await expect.poll(() => [...room.users].sort(), settle).toEqual(everyone)
    }
    for (const port of [a.port, b.port, c.port]) {
      await expect.poll(async () => (await stats(port)).roomBreakdown[lobby], settle).toBe(4)
      await expect
        .poll(async () => nodesOf(await stats(port)), settle)
        .toEqual([
          [A, 1],
          [B, 1],
          [C, 2],
        ])
    }
    expect((await annClient.listRooms()).filter((r) => r.id === lobby)).toEqual([{ id: lobby, userCount: 4 }])

    const leftOnA = leaves(ann)
    const leftOnB = leaves(bob)
    c.child.kill('SIGKILL')

    // Generous: the TTL, the next check, and a busy machine.
    for (const left of [leftOnA, leftOnB])
      await expect.poll(() => [...left].sort(), { timeout: 30_000 }).toEqual(['cat', 'dan'])

    // Both survivors look again; then a join on A, which every node hears after anything before it.
    await Promise.all([a.presence.purgeExpired(), b.presence.purgeExpired()])
    const joinedOnB: string[] = []
    bob.on('user_joined', (f) => joinedOnB.push(f.username))
    await client(a.port).join(lobby, { username: 'eve' })
    await expect.poll(() => joinedOnB, settle).toEqual(['eve'])
    expect([...leftOnA].sort()).toEqual(['cat', 'dan'])
    expect([...leftOnB].sort()).toEqual(['cat', 'dan'])

    for (const room of [ann, bob]) {
      expect(await room.listUsers()).toEqual(['ann', 'bob', 'eve'])
      expect([...room.users].sort()).toEqual(['ann', 'bob', 'eve'])
    }
    for (const port of [a.port, b.port]) {
      expect((await stats(port)).roomBreakdown[lobby]).toBe(3)
      expect(nodesOf(await stats(port))).toEqual([
        [A, 2],
        [B, 1],
      ])
    }
    // The survivors still share the room's one order: a message from B reaches A through Redis.
    const got: string[] = []
    ann.on('message', (m) => got.push(`${m.from}:${m.text}`))
    await bob.send('still here')
    await expect.poll(() => got, settle).toEqual(['bob:still here'])
    expect((await annClient.listRooms()).filter((r) => r.id === lobby)).toEqual([{ id: lobby, userCount: 3 }])
  }, 120_000) // a child process to start under tsx, a TTL and polls of up to 30 s, on a busy machine
})
