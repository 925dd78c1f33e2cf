import { chatRoom, defineRoom, MemoryRoomLog, type RoomLog } from '@hubbub/rooms'
import { describe, expect, test } from 'vitest'
import { createServer } from '../src/index.js'

/** A log as several nodes would share it: each node runs its own copy of every room. */
const sharedLog = (): RoomLog => Object.assign(new MemoryRoomLog(), { shared: true })

const Game = defineRoom({ name: 'game', init: () => ({ turn: 0 }) })
const Persisted = defineRoom({ name: 'notes', persist: true })
const SharedCounter = defineRoom({ name: 'tally', placement: 'shared', init: () => 0 })

describe('room placement on a log shared by nodes', () => {
  test('behaviours with state default to owned, stateless ones to shared; placement overrides', () => {
    expect(chatRoom.placement).toBe('shared')
    expect(Game.placement).toBe('owned')
    expect(Persisted.placement).toBe('owned')
    expect(SharedCounter.placement).toBe('shared')
  })

  test('an owned behaviour is refused at start with a message that names it, alone or routed', () => {
    const options = { auth: { anonymous: true } as const, log: sharedLog() }
    expect(() => createServer({ ...options, rooms: Game })).toThrow(/"game".*placement: 'owned'/)
    expect(() =>
      createServer({
        ...options,
        rooms: [
          { match: /^chat:/, behaviour: chatRoom },
          { match: /^notes:/, behaviour: Persisted },
        ],
      }),
    ).toThrow(/"notes"/)
  })

  test('shared behaviours start on a shared log, and owned ones on a node-local log', async () => {
    const started: ReturnType<typeof createServer>[] = []
    const start = (options: Parameters<typeof createServer>[0]) => () => started.push(createServer(options))
    expect(start({ auth: { anonymous: true }, log: sharedLog(), rooms: SharedCounter })).not.toThrow()
    expect(start({ auth: { anonymous: true }, log: sharedLog() })).not.toThrow()
    expect(start({ auth: { anonymous: true }, rooms: Game })).not.toThrow()
    await Promise.all(started.map((s) => s.close()))
    expect(started).toHaveLength(3)
  })
})
