// Connect four on three game servers (child processes running `src/main.ts --redis`), players on
// different nodes: one game played through, then the owner of a second game killed mid-game.
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { type Client, connect } from '@hubbub/client'
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest'
import { WebSocket } from 'ws'
import { type GameState, gameMessages, move, newGame } from '../src/connectFour.js'
import { deletePrefix, REDIS_URL, redisSkipReason, uniquePrefix, withRedis } from './support/redis.js'

const prefix = uniquePrefix('game-nodes')
const appDir = fileURLToPath(new URL('..', import.meta.url))
/** Short leases, so a killed owner's games move within seconds; the waits stay generous for a busy machine. */
const leaseTtlMs = 2000
const settle = { timeout: 30_000, interval: 50 }

type StateFrame = Pick<GameState, 'board' | 'turn' | 'players' | 'winner' | 'endedBy' | 'version'>
type Seen = { kind: 'state'; state: StateFrame } | { kind: 'resync'; roomId: string; fence: number }

interface GameNode {
  child: ChildProcess
  url: string
}

/** `pnpm game --redis …` in a child process; resolves once it prints its address. */
async function gameNode(): Promise<GameNode> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@hubbub/source',
      '--import',
      'tsx',
      'src/main.ts',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--redis',
      REDIS_URL,
      '--redis-prefix',
      prefix,
      '--lease-ttl-ms',
      String(leaseTtlMs),
      // No forfeit while a busy machine is slow to play.
      '--turn-ms',
      '600000',
    ],
    { cwd: appDir, env: { ...process.env, REDIS_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let out = ''
  child.stderr!.on('data', (d) => (out += d))
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d
      const m = /open http:\/\/127\.0\.0\.1:(\d+)\//.exec(out)
      if (m) resolve(Number(m[1]))
    })
    child.once('exit', (code, signal) => reject(new Error(`game node exited (${code ?? signal}):\n${out}`)))
  })
  return { child, url: `ws://127.0.0.1:${port}/ws` }
}

async function kill(node: GameNode): Promise<void> {
  if (node.child.exitCode !== null || node.child.signalCode !== null) return
  const exited = new Promise((resolve) => node.child.once('exit', resolve))
  node.child.kill('SIGKILL')
  await exited
}

/** A player (or spectator) through @hubbub/client: what its room delivers, in order. */
async function player(url: string, name: string, roomId: string) {
  const client: Client<typeof gameMessages> = connect(url, {
    WebSocket: WebSocket as never,
    messages: gameMessages,
    reconnect: { minMs: 50, maxMs: 200, factor: 2, jitter: 0.5 },
  })
  onTestFinished(() => client.close())
  const errors: string[] = []
  client.on('error', (e) => void errors.push(e.code))
  const joined = client.join(roomId, { username: name })
  // Listening before the join resolves: the game's first state may come right behind `joined`.
  const seen: Seen[] = []
  // Game frames carry no roomId (one game per connection here): the client hands them to `custom`.
  client.on('custom', (f) => {
    if (f.type === 'state') seen.push({ kind: 'state', state: f as unknown as StateFrame })
  })
  client.rooms
    .get(roomId)!
    .on('room_resync', (e) => void seen.push({ kind: 'resync', roomId: e.roomId, fence: e.fence }))
  await joined
  const states = () => seen.flatMap((s) => (s.kind === 'state' ? [s.state] : []))
  const version = () => states().at(-1)?.version ?? -1
  return {
    client,
    seen,
    errors,
    states,
    last: () => states().at(-1),
    move: (column: number) => client.send({ type: 'move', roomId, column }),
    /** Waits until this member has the state of `v`. */
    until: (v: number) => expect.poll(version, settle).toBeGreaterThanOrEqual(v),
  }
}

const lease = (roomId: string) => withRedis((r) => r.get(`{${prefix}:${roomId}}:lease`))

/** The game after `moves` (seat 1 starts), by the rules themselves: the board each version must show. */
function replayGame(moves: readonly number[]): GameState[] {
  const games = [newGame(['ann', 'bob'])]
  for (const column of moves) {
    const g = games.at(-1)!
    const result = move(g, g.players[g.turn - 1]!, column)
    if (!result.ok) throw new Error(`move ${column} refused: ${result.reason}`)
    games.push(result.state)
  }
  return games
}

// ann (seat 1) fills column 0, bob column 1: ann wins with her fourth disc, on the seventh move.
const MOVES = [0, 1, 0, 1, 0, 1, 0]

describe.skipIf(redisSkipReason !== undefined)('connect four on three nodes through Redis', () => {
  let nodes: GameNode[] = []
  beforeAll(async () => {
    nodes = await Promise.all([gameNode(), gameNode(), gameNode()])
  }, 90_000)
  afterAll(async () => {
    await Promise.all(nodes.map(kill))
    await deletePrefix(prefix)
  })

  test('players on two nodes and a spectator on the third play a full game and see the same states in order', async () => {
    const roomId = 'c4:one'
    const [a, b, c] = nodes as [GameNode, GameNode, GameNode]
    const ann = await player(a.url, 'ann', roomId)
    // ann's node needed the game first: it holds the lease, with the first fence.
    await expect.poll(() => lease(roomId), settle).toMatch(/^1 /)
    const bob = await player(b.url, 'bob', roomId)
    const cat = await player(c.url, 'cat', roomId)
    const members = [ann, bob, cat]
    for (const m of members) await expect.poll(() => m.last()?.players, settle).toEqual(['ann', 'bob'])
    const start = cat.last()!.version
    const expected = replayGame(MOVES)
    const offset = start - expected[0]!.version
    for (const [i, column] of MOVES.entries()) {
      ;(i % 2 === 0 ? ann : bob).move(column)
      for (const m of members) await m.until(start + i + 1)
    }
    expect(cat.last()).toMatchObject({ winner: 1, endedBy: 'line', version: start + MOVES.length })
    // From the spectator's first state on, everyone saw one sequence: each version once, in order,
    // each with the board the rules give for the moves up to it.
    const reference = cat.states()
    expect(reference.map((s) => s.version)).toEqual([start, ...MOVES.map((_, i) => start + i + 1)])
    for (const s of reference) expect(s.board).toEqual(expected[s.version - offset]!.board)
    for (const m of members) {
      expect(m.states().filter((s) => s.version >= start)).toEqual(reference)
      expect(m.seen.some((s) => s.kind === 'resync')).toBe(false)
      expect(m.errors).toEqual([])
    }
  })

  test('the owner is killed mid-game: another node restores the game from its snapshot and the players finish it', async () => {
    const roomId = 'c4:two'
    const [a, b, c] = nodes as [GameNode, GameNode, GameNode]
    // ann sits down through the third node, which needed the game first and so owns it; she leaves
    // there and plays from the first node (her seat is kept by name). bob plays from the second, and
    // cat watches on the owner's node.
    const seat = await player(c.url, 'ann', roomId)
    await expect.poll(() => lease(roomId), settle).toMatch(/^1 /)
    const owner = (await lease(roomId))!
    const bob = await player(b.url, 'bob', roomId)
    const cat = await player(c.url, 'cat', roomId)
    await seat.client.rooms.get(roomId)!.leave()
    seat.client.close()
    const ann = await player(a.url, 'ann', roomId)
    for (const m of [ann, bob, cat])
      await expect.poll(() => m.last()?.players, settle).toEqual(['ann', 'bob'])
    const start = cat.last()!.version
    const expected = replayGame(MOVES)
    const offset = start - expected[0]!.version
    const players = [ann, bob]
    const play = async (i: number) => {
      players[i % 2]!.move(MOVES[i]!)
      // Acknowledged: the mover saw the state of its move (sequenced in the log, snapshot saved).
      for (const m of players) await m.until(start + i + 1)
    }
    for (let i = 0; i < 3; i++) await play(i)
    await expect.poll(() => cat.last()?.version, settle).toBe(start + 3)
    const acknowledged = ann.last()!

    await kill(c)
    cat.client.close()
    // bob moves while the game has no owner: refused as UNAVAILABLE, or (if a node already took the
    // lease over on a very slow machine) applied by the new owner. Either way exactly once.
    bob.move(MOVES[3]!)
    await expect
      .poll(() => bob.errors.includes('UNAVAILABLE') || (bob.last()?.version ?? 0) > start + 3, settle)
      .toBe(true)
    const refused = bob.errors.includes('UNAVAILABLE')

    // Another node took the lease with the next fence; both players were told, then got the game again.
    await expect.poll(() => lease(roomId), settle).toMatch(/^2 /)
    expect(await lease(roomId)).not.toBe(owner.replace(/^1 /, '2 '))
    for (const m of players) {
      await expect
        .poll(() => m.seen.find((s) => s.kind === 'resync'), settle)
        .toEqual({ kind: 'resync', roomId, fence: 2 })
      const resync = m.seen.findIndex((s) => s.kind === 'resync')
      await expect.poll(() => m.seen.slice(resync).some((s) => s.kind === 'state'), settle).toBe(true)
      const restored = m.seen.slice(resync).find((s) => s.kind === 'state')!
      // Restored from the last snapshot: every acknowledged move is in it (and the refused one is not).
      if (refused) expect(restored).toEqual({ kind: 'state', state: acknowledged })
      else expect(restored.kind === 'state' && restored.state.version).toBeGreaterThanOrEqual(start + 3)
    }
    if (refused) await play(3)
    for (let i = 4; i < MOVES.length; i++) await play(i)

    const final = expected.at(-1)!
    for (const m of players) {
      expect(m.last()).toMatchObject({ winner: 1, endedBy: 'line', version: start + MOVES.length })
      // The board holds exactly the moves made: none applied twice, none lost.
      expect(m.last()!.board).toEqual(final.board)
      // Every state seen is the rules' state of its version; versions rise by one per move, and only
      // right after the resync may a version come again (the restored game).
      const seen = m.seen
      let previous: number | undefined
      let resynced = false
      for (const s of seen) {
        if (s.kind === 'resync') {
          resynced = true
          continue
        }
        const v = s.state.version
        if (v >= start) expect(s.state.board).toEqual(expected[v - offset]!.board)
        if (previous !== undefined && resynced) expect([previous, previous + 1]).toContain(v)
        else if (previous !== undefined) expect(v).toBe(previous + 1)
        previous = v
        resynced = false
      }
      expect(seen.filter((s) => s.kind === 'resync')).toHaveLength(1)
    }
  }, 90_000)
})
