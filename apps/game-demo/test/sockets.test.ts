import { type Client, connect } from '@hubbub/client'
import { afterEach, describe, expect, onTestFinished, test } from 'vitest'
import { WebSocket } from 'ws'
import { gameMessages } from '../src/connectFour.js'
import { GameServer, type TransportName } from '../src/GameServer.js'

type Frame = { type: string } & Record<string, any>

const servers: GameServer[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop({ graceMs: 0 })
})

async function start(transport: TransportName, turnMs = 60_000) {
  const game = new GameServer({ transport, port: 0, host: '127.0.0.1', heartbeatMs: 0, turnMs })
  servers.push(game)
  await game.start()
  return { game, url: `ws://127.0.0.1:${game.port}/ws` }
}

/** A player (or spectator) through @hubbub/client, recording every game frame it gets. */
async function player(url: string, name: string, roomId = 'c4:g') {
  const client: Client<typeof gameMessages> = connect(url, {
    WebSocket: WebSocket as never,
    messages: gameMessages,
    reconnect: { minMs: 10, maxMs: 40, factor: 2, jitter: 0.5 },
  })
  onTestFinished(() => client.close())
  const frames: Frame[] = []
  client.on('custom', (f) => void frames.push(f as Frame))
  await client.join(roomId, { username: name })
  const states = () => frames.filter((f) => f.type === 'state')
  return {
    client,
    frames,
    states,
    last: () => states().at(-1),
    move: (column: number) => client.send({ type: 'move', roomId, column }),
    /** Waits until this player has seen the state of `version`. */
    until: (version: number) =>
      expect.poll(() => states().at(-1)?.version ?? -1).toBeGreaterThanOrEqual(version),
  }
}

describe.each(['ws', 'uws'] as const)('connect four over %s', (transport) => {
  test('two players play a full game; the spectator sees every state in order; invalid moves change nothing', async () => {
    const { url } = await start(transport)
    const ann = await player(url, 'ann')
    const bob = await player(url, 'bob')
    const cat = await player(url, 'cat')
    await expect.poll(() => cat.last()?.players).toEqual(['ann', 'bob'])
    const start0 = cat.last()!.version as number
    let version = start0
    // Out of turn, a spectator's move, an illegal column: answered to the sender only, nothing changes.
    bob.move(0)
    cat.move(0)
    await expect
      .poll(() => bob.frames.find((f) => f.type === 'invalid_move'))
      .toMatchObject({ type: 'invalid_move', reason: 'not_your_turn' })
    await expect
      .poll(() => cat.frames.find((f) => f.type === 'invalid_move'))
      .toMatchObject({ type: 'invalid_move', reason: 'spectator' })
    await expect(
      ann.client.request({ type: 'move', roomId: 'c4:g', column: 7 } as never),
    ).rejects.toMatchObject({ code: 'INVALID_MESSAGE' })
    for (const [who, column] of [
      [ann, 0],
      [bob, 1],
      [ann, 0],
      [bob, 1],
      [ann, 0],
      [bob, 1],
      [ann, 0],
    ] as const) {
      who.move(column)
      version++
      await cat.until(version)
    }
    expect(cat.last()).toMatchObject({ winner: 1, endedBy: 'line', version })
    ann.move(2)
    await expect
      .poll(() => ann.frames.find((f) => f.type === 'invalid_move'))
      .toMatchObject({ type: 'invalid_move', reason: 'game_over' })
    // Every state the spectator saw, in order, one per version from the seating on, none changed by an invalid move.
    const seen = cat.states().map((s) => s.version as number)
    expect(seen.slice(seen.indexOf(start0))).toEqual(
      Array.from({ length: version - start0 + 1 }, (_, i) => start0 + i),
    )
    for (const p of [ann, bob]) await p.until(version)
    expect(ann.last()).toEqual(cat.last())
    expect(bob.last()).toEqual(cat.last())
    expect(ann.frames.filter((f) => f.type === 'invalid_move')).toHaveLength(1)
    expect(cat.frames.filter((f) => f.type === 'invalid_move')).toHaveLength(1)
    // Each move was sequenced through the room's log too.
    expect(cat.frames.filter((f) => f.type === 'moved').map((f) => f.column)).toEqual([0, 1, 0, 1, 0, 1, 0])
  })

  test('a player who reconnects mid-game gets the current state first and can go on', async () => {
    const { game, url } = await start(transport)
    const ann = await player(url, 'ann')
    const bob = await player(url, 'bob')
    await ann.until(2)
    ann.move(3)
    await bob.until(3)
    const before = bob.last()!
    const from = bob.frames.length
    // The link dies without a close handshake: the client reconnects and rejoins by itself.
    expect(game.server.terminate(bob.client.welcome!.connectionId)).toBe(true)
    await expect.poll(() => bob.frames.slice(from).find((f) => f.type === 'state')).toEqual(before)
    bob.move(3)
    await ann.until(before.version + 1)
    expect(ann.last()!.board[4][3]).toBe(2)
  })

  test('a crash in the room restarts it; players resync to the same game and go on', async () => {
    const { game, url } = await start(transport)
    const ann = await player(url, 'ann')
    const bob = await player(url, 'bob')
    await ann.until(2)
    ann.move(2)
    await bob.until(3)
    bob.move(4)
    await ann.until(4)
    const before = ann.last()!
    const old = game.server.rooms.whereis('c4:g')!
    const marks = [ann.frames.length, bob.frames.length]
    game.server.system.exit(old, { error: new Error('injected room crash') })
    // Told to rejoin (INTERNAL, left), each rejoins and gets the whole game before anything else.
    for (const [i, p] of [ann, bob].entries()) {
      await expect.poll(() => p.frames.slice(marks[i]).find((f) => f.type === 'state')).toEqual(before)
    }
    expect(game.server.rooms.whereis('c4:g')).not.toBe(old)
    ann.move(2)
    await bob.until(before.version + 1)
    expect(bob.last()!.board[4][2]).toBe(1)
  })

  test('the turn timer forfeits a player who does not move', async () => {
    const { url } = await start(transport, 300)
    const ann = await player(url, 'ann')
    const bob = await player(url, 'bob')
    await ann.until(2)
    ann.move(0)
    await expect.poll(() => bob.last(), { timeout: 10_000 }).toMatchObject({ winner: 1, endedBy: 'forfeit' })
  })
})
