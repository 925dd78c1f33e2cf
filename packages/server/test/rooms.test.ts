import { defineRoom, reject } from '@hubbub/rooms'
import { describe, expect, test } from 'vitest'
import { z } from 'zod'
import { startServer, TestClient, transports } from './support/harness.js'

/** A custom behaviour: counts `bump`s, refuses negative ones, crashes on demand (fault injection). */
const Counter = defineRoom({
  name: 'counter',
  messages: { bump: z.object({ by: z.number().int() }), boom: z.object({}) },
  init: () => ({ total: 0 }),
  onJoin: (ctx, state) => {
    ctx.reply({ type: 'counter', total: state.total })
  },
  onMessage: (ctx, msg, state) => {
    if (msg.type === 'boom') throw new Error('injected room crash')
    if (msg.by < 0) return [reject('FORBIDDEN', 'no negative bumps')]
    const total = state.total + msg.by
    ctx.broadcast({ type: 'counter', total, by: ctx.user?.name })
    return { state: { total } }
  },
})

describe.each(transports)('room actors over $name', ({ factory }) => {
  test('a room crash restarts the room: members are told, rejoin and recover from the log with the epoch kept, no connection dropped', async () => {
    const { url, server } = await startServer(factory, { roomGraceMs: 60_000 })
    const a = await TestClient.connect(url)
    const before = await a.join('r', 'ann')
    const b = await TestClient.connect(url)
    await b.join('r', 'bob')
    a.send({ type: 'message', roomId: 'r', text: 'hello' })
    await b.waitFor((f) => f.type === 'message')
    const old = server.rooms.whereis('r')!
    server.system.exit(old, { error: new Error('injected room crash') })
    for (const c of [a, b]) {
      expect(await c.waitFor((f) => f.type === 'error' && f.code === 'INTERNAL')).toMatchObject({
        message: expect.stringContaining('"r"'),
      })
      await c.waitFor((f) => f.type === 'left' && f.roomId === 'r')
    }
    expect(await a.request({ type: 'message', roomId: 'r', text: 'lost?' })).toMatchObject({
      code: 'NOT_IN_ROOM',
    })
    // Published to the restarted room while nobody was in it: the log keeps it for the rejoin.
    await expect.poll(() => server.rooms.whereis('r')).toBeDefined()
    expect(server.rooms.whereis('r')).not.toBe(old)
    server.broadcast('r', { text: 'while you were out', from: 'ops' })
    const again = await a.join('r', 'ann', { since: { epoch: before.epoch, offset: 1 } })
    expect(again.epoch).toBe(before.epoch)
    expect(again.offset).toBe(2)
    expect(again.users).toEqual(['ann'])
    const history = await a.waitFor((f) => f.type === 'history')
    expect(history).toMatchObject({ recovered: true })
    expect(history.messages.map((m: { offset: number; text: string }) => [m.offset, m.text])).toEqual([
      [2, 'while you were out'],
    ])
    const bAgain = await b.join('r', 'bob')
    expect(bAgain.epoch).toBe(again.epoch)
    a.send({ type: 'message', roomId: 'r', text: 'after' })
    expect(await b.waitFor((f) => f.type === 'message' && f.text === 'after')).toMatchObject({ offset: 3 })
    expect(server.connections).toBe(2)
  })

  test('custom room behaviour: typed messages, state, broadcast, reply and reject; a throw crashes only that room', async () => {
    const { url } = await startServer(factory, {
      rooms: [{ match: /^counter:/, behaviour: Counter }],
      roomGraceMs: 60_000,
    })
    const a = await TestClient.connect(url)
    await a.join('counter:1', 'ann')
    expect(await a.waitFor((f) => f.type === 'counter')).toMatchObject({ total: 0 })
    await a.join('chat', 'ann')
    a.send({ type: 'bump', roomId: 'counter:1', by: 2 })
    expect(await a.waitFor((f) => f.type === 'counter' && f.total === 2)).toMatchObject({ by: 'ann' })
    expect(await a.request({ type: 'bump', roomId: 'counter:1', by: -1 })).toMatchObject({
      type: 'error',
      code: 'FORBIDDEN',
    })
    expect(await a.request({ type: 'bump', roomId: 'counter:1', by: 'x' })).toMatchObject({
      code: 'INVALID_MESSAGE',
    })
    expect(await a.request({ type: 'bump', roomId: 'chat', by: 1 })).toMatchObject({
      code: 'UNKNOWN_MESSAGE',
    })
    a.send({ type: 'boom', roomId: 'counter:1' })
    await a.waitFor((f) => f.type === 'left' && f.roomId === 'counter:1')
    // The chat room never noticed.
    a.send({ type: 'message', roomId: 'chat', text: 'still here' })
    expect(await a.waitFor((f) => f.type === 'message')).toMatchObject({ roomId: 'chat', offset: 1 })
    const from = a.frames.length
    await a.join('counter:1')
    expect(await a.waitFor((f) => f.type === 'counter', from)).toMatchObject({ total: 0 })
  })

  test('an empty room stops after its grace period and comes back with a new epoch', async () => {
    const { url, server } = await startServer(factory, { roomGraceMs: 0 })
    const a = await TestClient.connect(url)
    const first = await a.join('r', 'ann')
    expect((await server.stats()).rooms).toBe(1)
    await a.request({ type: 'leave', roomId: 'r' })
    await expect.poll(async () => (await server.stats()).rooms).toBe(0)
    const second = await a.join('r')
    expect(second.epoch).not.toBe(first.epoch)
    expect(await server.stats()).toMatchObject({ rooms: 1, roomBreakdown: { r: 1 }, connections: 1 })
  })
})
