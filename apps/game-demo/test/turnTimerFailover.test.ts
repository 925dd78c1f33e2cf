// The turn timer of a connect four game survives its room moving to another node: the new owner
// re-arms it in `onStart`, so a player who stops moving still forfeits.
import { type Client, connect } from '@hubbub/client'
import { afterAll, describe, expect, onTestFinished, test } from 'vitest'
import { WebSocket } from 'ws'
import { type GameState, gameMessages } from '../src/connectFour.js'
import { GameServer } from '../src/GameServer.js'
import { deletePrefix, REDIS_URL, redisSkipReason, uniquePrefix, withRedis } from './support/redis.js'

const prefix = uniquePrefix('game-timer')
const settle = { timeout: 30_000, interval: 50 }
/** Long enough for ann's first move on a busy machine; the forfeit after the move is waited for. */
const turnMs = 8000

type StateFrame = Pick<GameState, 'players' | 'winner' | 'endedBy' | 'version' | 'turn'>

async function gameNode(nodeId: string): Promise<GameServer> {
  const game = new GameServer({
    port: 0,
    host: '127.0.0.1',
    heartbeatMs: 0,
    page: false,
    turnMs,
    redis: { url: REDIS_URL, prefix, nodeId, leaseTtlMs: 1000 },
  })
  await game.start()
  onTestFinished(() => game.stop({ graceMs: 0 }))
  return game
}

async function player(port: number, name: string, roomId: string) {
  const client: Client<typeof gameMessages> = connect(`ws://127.0.0.1:${port}/ws`, {
    WebSocket: WebSocket as never,
    messages: gameMessages,
    reconnect: false,
  })
  onTestFinished(() => client.close())
  const seen: ({ kind: 'state'; state: StateFrame } | { kind: 'resync'; fence: number })[] = []
  client.on('custom', (f) => {
    if (f.type === 'state') seen.push({ kind: 'state', state: f as unknown as StateFrame })
  })
  const joined = client.join(roomId, { username: name })
  client.rooms.get(roomId)!.on('room_resync', (e) => void seen.push({ kind: 'resync', fence: e.fence }))
  await joined
  const last = () => seen.flatMap((s) => (s.kind === 'state' ? [s.state] : [])).at(-1)
  return { client, seen, last, move: (column: number) => client.send({ type: 'move', roomId, column }) }
}

describe.skipIf(redisSkipReason !== undefined)('connect four: the turn timer after the room moves', () => {
  afterAll(() => deletePrefix(prefix))

  test('the new owner re-arms the turn timer: the player to move forfeits', async () => {
    const roomId = 'c4:timer'
    const a = await gameNode('game-ta')
    const b = await gameNode('game-tb')
    const ann = await player(a.port!, 'ann', roomId)
    await expect.poll(() => withRedis((r) => r.get(`{${prefix}:${roomId}}:lease`)), settle).toBe('1 game-ta')
    const bob = await player(b.port!, 'bob', roomId)
    await expect.poll(() => bob.last()?.players, settle).toEqual(['ann', 'bob'])
    const start = bob.last()!.version
    ann.move(3)
    await expect.poll(() => bob.last()?.version, settle).toBe(start + 1)
    expect(bob.last()).toMatchObject({ turn: 2, winner: null })

    // a shuts down (it gives its lease up; ann's socket goes with it): b, with bob in the game, takes
    // the room over from its snapshot. Only a timer armed there can end the game now.
    await a.stop({ graceMs: 0 })
    await expect.poll(() => bob.seen.some((s) => s.kind === 'resync'), settle).toBe(true)
    await expect
      .poll(() => bob.last(), { ...settle, timeout: turnMs + 30_000 })
      .toMatchObject({ winner: 1, endedBy: 'forfeit' })
    const resyncAt = bob.seen.findIndex((s) => s.kind === 'resync')
    const forfeitAt = bob.seen.findIndex((s) => s.kind === 'state' && s.state.endedBy === 'forfeit')
    expect(forfeitAt).toBeGreaterThan(resyncAt)
  }, 90_000)
})
