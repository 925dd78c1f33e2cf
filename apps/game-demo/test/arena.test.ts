import { type Client, connect, type WireFormat } from '@hubbub/client'
import { msgpackWire } from '@hubbub/client/msgpack'
import { protocol } from '@hubbub/protocol'
import { afterEach, describe, expect, onTestFinished, test } from 'vitest'
import { WebSocket } from 'ws'
import { z } from 'zod'
import {
  arenaClientMessages,
  arenaServerMessages,
  emptyArena,
  enter,
  leave,
  SIZE,
  steer,
  step,
} from '../src/arena.js'
import { GameServer } from '../src/GameServer.js'

describe('arena rules', () => {
  test('players move one cell per tick along their input, and walls stop them', () => {
    let s = enter(emptyArena(), 'ann')
    const start = s.players.ann!
    s = steer(s, 'ann', 1, 0)
    const r = step(s)
    expect(r.state.players.ann).toMatchObject({ x: Math.min(SIZE - 1, start.x + 1), y: start.y })
    expect(r.state.tick).toBe(1)
    let t = r.state
    for (let i = 0; i < SIZE + 2; i++) t = step(t).state
    expect(t.players.ann!.x).toBe(SIZE - 1)
    // At the wall nothing moves: an empty delta.
    expect(step(t).changed).toEqual([])
  })

  test('a collision with "it" tags the other player; both rows are in the delta', () => {
    let s = enter(enter(emptyArena(), 'ann'), 'bob')
    expect(s.it).toBe('ann')
    // Put bob right of ann and walk ann into him.
    const a = s.players.ann!
    s = { ...s, players: { ...s.players, bob: { x: a.x + 1, y: a.y, dx: 0, dy: 0 } } }
    if (a.x + 1 >= SIZE) throw new Error('hash put ann on the wall')
    const r = step(steer(s, 'ann', 1, 0))
    expect(r.state.it).toBe('bob')
    expect(r.changed.sort()).toEqual([
      ['ann', a.x + 1, a.y, 0],
      ['bob', a.x + 1, a.y, 1],
    ])
  })

  test('a newcomer is in the next delta even before it moves, and only in that one', () => {
    const s = enter(step(enter(emptyArena(), 'ann')).state, 'bob')
    const r = step(s)
    expect(r.changed.map((row) => row[0])).toEqual(['bob'])
    expect(step(r.state).changed).toEqual([])
    // Who came and went within one tick is never sent.
    expect(step(leave(enter(r.state, 'cat'), 'cat')).changed).toEqual([])
  })

  test('a leaver is reported once in the next delta; "it" passes on', () => {
    const s = leave(enter(enter(emptyArena(), 'ann'), 'bob'), 'ann')
    expect(s.it).toBe('bob')
    const r = step(s)
    expect(r.gone).toEqual(['ann'])
    expect(step(r.state).gone).toEqual([])
  })
})

const arenaMessages = protocol.defineMessages(
  {
    input: arenaClientMessages.input.extend({ roomId: z.string() }),
    cursor: arenaClientMessages.cursor.extend({ roomId: z.string() }),
  },
  arenaServerMessages,
)
type Frame = { type: string } & Record<string, any>

const servers: GameServer[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop({ graceMs: 0 })
})

async function joiner(url: string, name: string, typeRates?: Record<string, number>, wire?: WireFormat) {
  const client: Client<typeof arenaMessages> = connect(url, {
    WebSocket: WebSocket as never,
    messages: arenaMessages,
    ...(typeRates ? { typeRates } : {}),
    ...(wire ? { wire } : {}),
  })
  onTestFinished(() => client.close())
  const frames: Frame[] = []
  client.on('custom', (f) => void frames.push(f as Frame))
  await client.join('arena:1', { username: name })
  /** Where `who` is now, from the full state and the deltas after it. */
  const position = (who: string) => {
    let at: unknown
    for (const f of frames) {
      if (f.type !== 'arena' && f.type !== 'delta') continue
      for (const row of f.players) if (row[0] === who) at = [row[1], row[2]]
    }
    return at
  }
  return { client, frames, position }
}

describe.each(['ws', 'uws'] as const)('the arena over %s', (transport) => {
  test('both players see each other move at the tick; a late joiner gets the whole arena first; cursors skip the sender', async () => {
    const game = new GameServer({ transport, port: 0, host: '127.0.0.1', heartbeatMs: 0 })
    servers.push(game)
    await game.start()
    const url = `ws://127.0.0.1:${game.port}/ws`
    const ann = await joiner(url, 'ann', { input: 30, cursor: 30 })
    const bob = await joiner(url, 'bob', { input: 30, cursor: 30 })
    // The whole arena comes first (onSync answers the join), before any delta.
    await expect.poll(() => ann.frames[0]?.type).toBe('arena')
    await expect.poll(() => bob.frames[0]?.type).toBe('arena')
    const annAt = ann.position('ann') as [number, number]
    const bobAt = bob.position('bob') as [number, number]
    ann.client.send({ type: 'input', roomId: 'arena:1', dx: annAt[0] > 0 ? -1 : 1, dy: 0 })
    bob.client.send({ type: 'input', roomId: 'arena:1', dx: 0, dy: bobAt[1] > 0 ? -1 : 1 })
    await expect.poll(() => bob.position('ann')).not.toEqual(annAt)
    await expect.poll(() => ann.position('bob')).not.toEqual(bobAt)
    // A late joiner: its first arena frame is the whole arena, with both players where they are now.
    const cat = await joiner(url, 'cat')
    await expect.poll(() => cat.frames.find((f) => f.type === 'arena' || f.type === 'delta')).toBeDefined()
    const first = cat.frames.find((f) => f.type === 'arena' || f.type === 'delta')!
    expect(first.type).toBe('arena')
    expect(first.players.map((r: unknown[]) => r[0]).sort()).toEqual(['ann', 'bob', 'cat'])
    ann.client.send({ type: 'cursor', roomId: 'arena:1', x: 0.5, y: 0.25 })
    await expect
      .poll(() => cat.frames.find((f) => f.type === 'cursor'))
      .toEqual({ type: 'cursor', user: 'ann', x: 0.5, y: 0.25 })
    await expect.poll(() => bob.frames.find((f) => f.type === 'cursor')).toBeDefined()
    expect(ann.frames.some((f) => f.type === 'cursor')).toBe(false)
  })

  test('late joiners on raw sockets, while players move, get the whole arena before any delta', async () => {
    const game = new GameServer({ transport, port: 0, host: '127.0.0.1', heartbeatMs: 0 })
    servers.push(game)
    await game.start()
    const url = `ws://127.0.0.1:${game.port}/ws`
    const ann = await joiner(url, 'ann', { input: 30 })
    await expect.poll(() => ann.position('ann')).toBeDefined()
    // ann bounces between the walls, so there is a delta at nearly every tick.
    let dx = 1
    const steer = setInterval(() => {
      dx = -dx
      ann.client.send({ type: 'input', roomId: 'arena:1', dx, dy: 0 })
    }, 120)
    onTestFinished(() => clearInterval(steer))
    const ticks = () => ann.frames.filter((f) => f.type === 'delta').length
    const seen = ticks()
    await expect.poll(ticks).toBeGreaterThan(seen + 3)
    const firsts = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const ws = new WebSocket(url)
        onTestFinished(() => ws.terminate())
        const frames: Frame[] = []
        ws.on('message', (data) => {
          const f = JSON.parse(String(data)) as Frame
          if (f.type === 'arena' || f.type === 'delta') frames.push(f)
        })
        await new Promise((resolve) => ws.once('open', resolve))
        ws.send(JSON.stringify({ type: 'join', roomId: 'arena:1', username: `late${i}` }))
        await expect.poll(() => frames.length).toBeGreaterThan(2)
        return frames
      }),
    )
    for (const frames of firsts) {
      expect(frames[0]!.type).toBe('arena')
      // Every delta after it is of a later tick.
      for (const f of frames.slice(1)) expect(f.tick).toBeGreaterThan(frames[0]!.tick)
    }
  })

  test('a player on the msgpack wire gets the arena and its deltas as binary frames, beside a JSON player', async () => {
    const game = new GameServer({ transport, port: 0, host: '127.0.0.1', heartbeatMs: 0, page: false })
    servers.push(game)
    await game.start()
    const url = `ws://127.0.0.1:${game.port}/ws`
    const ann = await joiner(url, 'ann', { input: 30 })
    // The msgpack client refuses text frames: every frame it reads came binary.
    const bob = await joiner(url, 'bob', { input: 30 }, msgpackWire)
    await expect.poll(() => bob.frames[0]?.type).toBe('arena')
    const annAt = bob.position('ann') as [number, number]
    ann.client.send({ type: 'input', roomId: 'arena:1', dx: annAt[0] > 0 ? -1 : 1, dy: 0 })
    await expect.poll(() => bob.position('ann')).not.toEqual(annAt)
    const bobAt = ann.position('bob') as [number, number]
    bob.client.send({ type: 'input', roomId: 'arena:1', dx: 0, dy: bobAt[1] > 0 ? -1 : 1 })
    await expect.poll(() => ann.position('bob')).not.toEqual(bobAt)
    const conn = (await game.server.introspect()).connections.find((c) => c.name === 'bob')!
    expect(conn).toMatchObject({ rooms: ['arena:1'] })
    expect(bob.frames.filter((f) => f.type === 'delta').length).toBeGreaterThan(0)
  })

  test('inputs over the per-user rate are dropped and counted; the player stays connected', async () => {
    const game = new GameServer({ transport, port: 0, host: '127.0.0.1', heartbeatMs: 0 })
    servers.push(game)
    await game.start()
    const url = `ws://127.0.0.1:${game.port}/ws`
    // No typeRates: this client floods, as a misbehaving one would.
    const ann = await joiner(url, 'ann')
    const ws = new WebSocket(url)
    onTestFinished(() => ws.terminate())
    await new Promise((resolve) => ws.once('open', resolve))
    ws.send(JSON.stringify({ type: 'join', roomId: 'arena:1', username: 'flood' }))
    await expect
      .poll(async () => (await game.server.introspect()).connections.find((c) => c.name === 'flood')?.rooms)
      .toEqual(['arena:1'])
    for (let i = 0; i < 100; i++)
      ws.send(JSON.stringify({ type: 'input', roomId: 'arena:1', dx: i % 2, dy: 0 }))
    const flood = async () => (await game.server.introspect()).connections.find((c) => c.name === 'flood')!
    await expect.poll(async () => (await flood()).framesIn).toBe(101)
    const counted = (await flood()).rateLimited
    expect(counted).toBeGreaterThan(0)
    expect(counted).toBeLessThanOrEqual(100 - 30)
    expect(ws.readyState).toBe(WebSocket.OPEN)
    expect(ann.client.state).toBe('open')
  })
})
