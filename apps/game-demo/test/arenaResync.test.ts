// The arena's resyncs: the rules that park a crashed arena's players until they rejoin, and over real
// sockets on both transports a player who reconnects mid-game, and a crash injected in one arena's
// room actor, which the supervisor restarts with the arena as it was; its players resync (the whole
// arena first, then deltas of later ticks) and go on from where they were, while another arena's
// players notice nothing.
import { type Client, connect } from '@hubbub/client'
import { protocol } from '@hubbub/protocol'
import { afterEach, describe, expect, onTestFinished, test } from 'vitest'
import { WebSocket } from 'ws'
import { z } from 'zod'
import {
  type ArenaState,
  arenaClientMessages,
  arenaServerMessages,
  emptyArena,
  enter,
  park,
  steer,
  step,
} from '../src/arena.js'
import { GameServer } from '../src/GameServer.js'

describe('arena rules after a restart', () => {
  const twoMoved = (): ArenaState => {
    let s = enter(enter(emptyArena(), 'ann'), 'bob')
    s = steer(steer(s, 'ann', 1, 0), 'bob', 0, 1)
    return step(step(s).state).state
  }

  test('a parked player rejoins where it was, still moving the way it was', () => {
    const before = twoMoved()
    const restored = park(before, 100)
    expect(restored.players).toEqual({})
    expect(restored.tick).toBe(before.tick)
    const back = enter(restored, 'bob')
    expect(back.players.bob).toEqual(before.players.bob)
    expect(back.parked).toEqual({ ann: before.players.ann })
    // "it" (ann) stays with ann while she may still come back.
    expect(back.it).toBe('ann')
    const r = step(back)
    expect(r.changed.map((row) => row[0])).toEqual(['bob'])
    expect(r.state.players.bob!.y).toBe(Math.min(31, before.players.bob!.y + 1))
    expect(enter(r.state, 'ann').players.ann).toEqual(before.players.ann)
  })

  test('a parked player who does not come back in time is forgotten, and "it" passes on', () => {
    const before = twoMoved()
    let s = enter(park(before, 3), 'bob')
    expect(s.it).toBe('ann')
    s = step(s).state
    s = step(s).state
    expect(Object.keys(s.parked)).toEqual(['ann'])
    const r = step(s)
    expect(r.state.parked).toEqual({})
    expect(r.state.it).toBe('bob')
    expect(r.changed).toContainEqual(['bob', r.state.players.bob!.x, r.state.players.bob!.y, 1])
    // Too late: ann starts afresh, like a newcomer.
    expect(enter(r.state, 'ann').players.ann).toEqual(enter(emptyArena(), 'ann').players.ann)
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
type Row = [string, number, number, number]

const servers: GameServer[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop({ graceMs: 0 })
})

async function player(url: string, roomId: string, name: string) {
  const sockets: WebSocket[] = []
  /** `ws`, with each socket kept so that a test can drop the link from the client's side. */
  class KeptWebSocket extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args)
      sockets.push(this)
    }
  }
  const client: Client<typeof arenaMessages> = connect(url, {
    WebSocket: KeptWebSocket as never,
    messages: arenaMessages,
    typeRates: { input: 30 },
    reconnect: { minMs: 10, maxMs: 40, factor: 2, jitter: 0.5 },
  })
  onTestFinished(() => client.close())
  const frames: Frame[] = []
  client.on('custom', (f) => {
    if (f.type === 'arena' || f.type === 'delta') frames.push(f as Frame)
  })
  await client.join(roomId, { username: name })
  /** Where `who` is after the first `upTo` frames (all by default): from the whole arena and the deltas after it. */
  const position = (who: string, upTo = frames.length): [number, number] | undefined => {
    let at: [number, number] | undefined
    for (const f of frames.slice(0, upTo)) {
      if (f.type === 'arena' && !f.players.some((row: Row) => row[0] === who)) at = undefined
      if (f.type === 'delta' && f.gone.includes(who)) at = undefined
      for (const row of f.players as Row[]) if (row[0] === who) at = [row[1], row[2]]
    }
    return at
  }
  const send = (dx: number, dy: number) => client.send({ type: 'input', roomId, dx, dy })
  /** The network drops the link (no close handshake: the server sees 1006). */
  const drop = () => sockets.at(-1)!.terminate()
  return { client, frames, position, send, drop }
}

/** Away from the nearer wall on one axis. */
const away = (v: number) => (v > 0 ? -1 : 1)

describe.each(['ws', 'uws'] as const)('arena resyncs over %s', (transport) => {
  test('a player who reconnects mid-game gets the whole arena first and goes on where it was', async () => {
    const game = new GameServer({ transport, port: 0, host: '127.0.0.1', heartbeatMs: 0, page: false })
    servers.push(game)
    await game.start()
    const url = `ws://127.0.0.1:${game.port}/ws`
    const ann = await player(url, 'arena:re', 'ann')
    const bob = await player(url, 'arena:re', 'bob')
    await expect.poll(() => bob.position('ann')).toBeDefined()
    const annStart = ann.position('ann')!
    ann.send(away(annStart[0]), 0)
    await expect.poll(() => bob.position('ann')).not.toEqual(annStart)
    const mark = ann.frames.length
    // The link dies without a close handshake: the client reconnects and rejoins by itself, within
    // the server's presence grace, so ann never left the arena.
    ann.drop()
    await expect
      .poll(() => ann.frames.findIndex((f, k) => k >= mark && f.type === 'arena'), { timeout: 20_000 })
      .toBeGreaterThanOrEqual(0)
    const at = ann.frames.findIndex((f, k) => k >= mark && f.type === 'arena')
    const whole = ann.frames[at]!
    const own = (whole.players as Row[]).find((row) => row[0] === 'ann')!
    expect([own[1], own[2]]).not.toEqual(annStart)
    expect((whole.players as Row[]).map((row) => row[0]).sort()).toEqual(['ann', 'bob'])
    const annAt = bob.position('ann')!
    ann.send(0, away(annAt[1]))
    await expect.poll(() => bob.position('ann')?.[1]).not.toBe(annAt[1])
    expect(bob.frames.some((f) => f.type === 'delta' && f.gone.includes('ann'))).toBe(false)
    const ticks = ann.frames.slice(at).map((f) => f.tick as number)
    for (let k = 1; k < ticks.length; k++) expect(ticks[k]).toBeGreaterThan(ticks[k - 1]!)
  })

  test('the supervisor restarts the room; its players resync and go on where they were; another arena notices nothing', async () => {
    const game = new GameServer({ transport, port: 0, host: '127.0.0.1', heartbeatMs: 0, page: false })
    servers.push(game)
    await game.start()
    const url = `ws://127.0.0.1:${game.port}/ws`
    const ann = await player(url, 'arena:crash', 'ann')
    const bob = await player(url, 'arena:crash', 'bob')
    const dan = await player(url, 'arena:calm', 'dan')
    for (const p of [ann, bob, dan]) await expect.poll(() => p.frames[0]?.type).toBe('arena')
    await expect.poll(() => ann.position('bob')).toBeDefined()
    const annStart = ann.position('ann')!
    const bobStart = bob.position('bob')!
    const danStart = dan.position('dan')!
    // ann walks along x, bob along y, each away from the nearer wall, until the other has seen it.
    ann.send(away(annStart[0]), 0)
    bob.send(0, away(bobStart[1]))
    dan.send(away(danStart[0]), 0)
    await expect.poll(() => bob.position('ann')).not.toEqual(annStart)
    await expect.poll(() => ann.position('bob')).not.toEqual(bobStart)
    await expect.poll(() => dan.position('dan')).not.toEqual(danStart)

    const old = game.server.rooms.whereis('arena:crash')!
    const calm = game.server.rooms.whereis('arena:calm')!
    const marks = [ann.frames.length, bob.frames.length]
    game.server.system.exit(old, { error: new Error('injected room crash') })

    // Each player's client is told the room was lost, rejoins by itself and gets the whole arena
    // before any later delta: with its own place exactly as its last delta before the crash had it
    // (not a newcomer's), and the tick count going on.
    const resyncs: number[] = []
    for (const [i, p] of [ann, bob].entries()) {
      const name = i === 0 ? 'ann' : 'bob'
      await expect
        .poll(() => p.frames.findIndex((f, at) => at >= marks[i]! && f.type === 'arena'), { timeout: 20_000 })
        .toBeGreaterThanOrEqual(0)
      const at = p.frames.findIndex((f, k) => k >= marks[i]! && f.type === 'arena')
      resyncs.push(at)
      const whole = p.frames[at]!
      const before = p.frames.slice(0, at)
      const own = (whole.players as Row[]).find((row) => row[0] === name)!
      expect([own[1], own[2]]).toEqual(p.position(name, at))
      expect([own[1], own[2]]).not.toEqual(i === 0 ? annStart : bobStart)
      expect(whole.tick).toBeGreaterThanOrEqual(Math.max(...before.map((f) => f.tick as number)))
    }
    expect(game.server.rooms.whereis('arena:crash')).not.toBe(old)

    // Both go on: each turns along the other axis, and the other sees it move on from there.
    const annAt = bob.position('ann') ?? ann.position('ann')!
    const bobAt = ann.position('bob') ?? bob.position('bob')!
    ann.send(0, away(annAt[1]))
    bob.send(away(bobAt[0]), 0)
    await expect.poll(() => bob.position('ann')?.[1]).not.toBe(annAt[1])
    await expect.poll(() => ann.position('bob')?.[0]).not.toBe(bobAt[0])
    // After its resync, every delta a player got is of a later tick than the one before it.
    for (const [i, p] of [ann, bob].entries()) {
      const ticks = p.frames.slice(resyncs[i]!).map((f) => f.tick as number)
      for (let k = 1; k < ticks.length; k++) expect(ticks[k]).toBeGreaterThan(ticks[k - 1]!)
    }

    // The other arena: the same room actor, never resynced, its ticks rising throughout.
    const danAt = dan.position('dan')!
    dan.send(0, away(danAt[1]))
    await expect.poll(() => dan.position('dan')?.[1]).not.toBe(danAt[1])
    expect(game.server.rooms.whereis('arena:calm')).toBe(calm)
    expect(dan.frames.filter((f) => f.type === 'arena')).toHaveLength(1)
    const ticks = dan.frames.map((f) => f.tick as number)
    for (let k = 1; k < ticks.length; k++) expect(ticks[k]).toBeGreaterThan(ticks[k - 1]!)
  })
})
