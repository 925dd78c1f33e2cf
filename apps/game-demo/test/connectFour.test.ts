import { ActorSystem, type AnyRef } from '@hubbub/actor'
import { EventBus } from '@hubbub/bus'
import { RoomManager, type RoomMember } from '@hubbub/rooms'
import { afterEach, describe, expect, test, vi } from 'vitest'
import {
  COLUMNS,
  connectFour,
  forfeit,
  type GameState,
  move,
  newGame,
  ROWS,
  rematch,
  sit,
} from '../src/connectFour.js'

const seated = () => sit(sit(newGame(), 'ann'), 'bob')

/** Plays `columns` alternately (ann first); every move must be valid. */
function play(columns: number[], state = seated()): GameState {
  for (const [i, column] of columns.entries()) {
    const r = move(state, i % 2 === 0 ? state.players[0]! : state.players[1]!, column)
    if (!r.ok) throw new Error(`move ${i} (${column}) refused: ${r.reason}`)
    state = r.state
  }
  return state
}

describe('connect four rules', () => {
  test('the first two users take the seats, anyone else spectates', () => {
    const s = sit(seated(), 'cat')
    expect(s.players).toEqual(['ann', 'bob'])
    expect(sit(s, 'ann')).toBe(s)
    expect(move(s, 'cat', 0)).toEqual({ ok: false, reason: 'spectator' })
  })

  test('discs fall to the lowest free row; turns alternate; every move bumps the version', () => {
    const s = play([3, 3])
    expect(s.board[ROWS - 1]![3]).toBe(1)
    expect(s.board[ROWS - 2]![3]).toBe(2)
    expect(s.turn).toBe(1)
    expect(s.version).toBe(seated().version + 2)
  })

  test('wins: horizontal, vertical, both diagonals', () => {
    expect(play([0, 0, 1, 1, 2, 2, 3])).toMatchObject({ winner: 1, endedBy: 'line' })
    expect(play([0, 1, 0, 1, 0, 1, 0])).toMatchObject({ winner: 1, endedBy: 'line' })
    // Rising diagonal for player 1: (5,0) (4,1) (3,2) (2,3).
    expect(play([0, 1, 1, 2, 2, 3, 2, 3, 3, 6, 3])).toMatchObject({ winner: 1 })
    // Falling diagonal for player 2: (2,0) (3,1) (4,2) (5,3).
    expect(play([0, 3, 0, 2, 1, 1, 0, 0, 6, 2, 6, 1])).toMatchObject({ winner: 2 })
  })

  test('a full board without four in a row is a draw', () => {
    // Columns filled in pairs so that no line of four forms.
    const order = [
      0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 2, 3, 2, 3, 2, 3, 3, 2, 3, 2, 3, 2, 4, 5, 4, 5, 4, 5, 5, 4, 5, 4, 5,
      4, 6, 6, 6, 6, 6, 6,
    ]
    const s = play(order)
    expect(s).toMatchObject({ winner: 0, endedBy: 'draw' })
    expect(s.board.flat().every((c) => c !== 0)).toBe(true)
  })

  test('invalid moves change nothing: out of turn, full column, game over, no opponent yet', () => {
    const s = play([3])
    expect(move(s, 'ann', 4)).toEqual({ ok: false, reason: 'not_your_turn' })
    const full = play([0, 0, 0, 0, 0, 0])
    expect(move(full, 'ann', 0)).toEqual({ ok: false, reason: 'column_full' })
    const won = play([0, 1, 0, 1, 0, 1, 0])
    expect(move(won, 'bob', 2)).toEqual({ ok: false, reason: 'game_over' })
    expect(move(sit(newGame(), 'ann'), 'ann', 0)).toEqual({ ok: false, reason: 'waiting_for_opponent' })
    expect(COLUMNS).toBe(7)
  })

  test('forfeit and rematch', () => {
    const s = forfeit(play([3]))
    expect(s).toMatchObject({ winner: 1, endedBy: 'forfeit' })
    expect(rematch(play([3]), 'ann')).toEqual({ ok: false, reason: 'not_over' })
    expect(rematch(s, 'cat')).toEqual({ ok: false, reason: 'spectator' })
    const again = rematch(s, 'bob')
    expect(again.ok && again.state).toMatchObject({
      players: ['bob', 'ann'],
      winner: null,
      version: s.version + 1,
    })
  })
})

describe('the turn timer (fake timers, the real room actor)', () => {
  const systems: ActorSystem[] = []
  afterEach(async () => {
    vi.useRealTimers()
    for (const s of systems.splice(0)) await s.shutdown()
  })

  async function member(
    system: ActorSystem,
    name: string,
    frames: Record<string, any>[],
  ): Promise<RoomMember> {
    const ref: AnyRef = await system.start({ init: () => null }, undefined)
    return {
      ref,
      key: name,
      binary: false,
      isClosed: false,
      user: { name, userId: undefined, orgId: undefined, connectionId: name },
      send: (data) => void frames.push(JSON.parse(String(data))),
      subscribe: () => {},
      unsubscribe: () => {},
      roomLost: () => {},
    }
  }

  test('the player to move forfeits once turnMs passes without a move, not a millisecond before', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const system = new ActorSystem({ onError: () => {} })
    systems.push(system)
    const bus = new EventBus<string | Uint8Array>()
    // Whatever the room sends, to one member or to its topic, in one list.
    const frames: Record<string, any>[] = []
    bus.subscribe('room.#', (data) => void frames.push(JSON.parse(String(data))))
    const manager = await RoomManager.start({
      system,
      bus,
      heartbeatMs: 0,
      rooms: connectFour({ turnMs: 30_000 }),
    })
    await manager.join('g', { member: await member(system, 'ann', frames) })
    await manager.join('g', { member: await member(system, 'bob', frames) })
    const states = () => frames.filter((f) => f.type === 'state')
    // The join answered after onJoin ran: the seating state is out already.
    expect(states().at(-1)).toMatchObject({ players: ['ann', 'bob'], winner: null })
    // Room timers run on the faked setTimeout and Date; the actors' mailboxes on real setImmediate.
    const settle = async (done: () => boolean) => {
      for (let i = 0; i < 1000 && !done(); i++) await new Promise((resolve) => setImmediate(resolve))
    }
    await vi.advanceTimersByTimeAsync(29_999)
    await settle(() => states().at(-1)?.winner !== null)
    expect(states().at(-1)?.winner).toBeNull()
    await vi.advanceTimersByTimeAsync(1)
    await settle(() => states().at(-1)?.winner !== null)
    expect(states().at(-1)).toMatchObject({ winner: 2, endedBy: 'forfeit' })
    await manager.stop()
  })
})
