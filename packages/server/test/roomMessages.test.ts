import { defineRoom, reply } from '@hubbub/rooms'
import { describe, expect, test } from 'vitest'
import { z } from 'zod'
import { startServer, TestClient, transports } from './support/harness.js'

/** Two games that both call their frame `move`, with different bodies. */
const Columns = defineRoom({
  name: 'columns',
  messages: { move: z.object({ column: z.number().int().min(0).max(6) }) },
  init: () => null,
  onMessage: (ctx, msg) => ctx.reply({ type: 'moved', game: 'columns', column: msg.column }),
})
const Grid = defineRoom({
  name: 'grid',
  messages: { move: z.object({ dx: z.number(), dy: z.number() }) },
  init: () => null,
  onMessage: (ctx, msg) => ctx.reply({ type: 'moved', game: 'grid', dx: msg.dx, dy: msg.dy }),
})

/** Cursors and inputs at 30/s each, counted by the room; chat keeps the connection's own limit. */
const Arena = defineRoom({
  name: 'arena',
  messages: { cursor: z.object({ x: z.number(), y: z.number() }), count: z.object({}) },
  rateLimits: { cursor: { perSecond: 30, abuseMs: 60_000 } },
  init: () => ({ cursors: 0 }),
  onMessage: (_ctx, msg, state) => {
    if (msg.type === 'count') return [reply({ type: 'count', cursors: state.cursors })]
    return { state: { cursors: state.cursors + 1 } }
  },
})

describe.each(transports)('behaviour message types over $name', ({ factory }) => {
  test('two behaviours may both define `move`: each room checks and handles its own', async () => {
    const { url } = await startServer(factory, {
      rooms: [
        { match: /^c4:/, behaviour: Columns },
        { match: /^grid:/, behaviour: Grid },
      ],
    })
    const a = await TestClient.connect(url)
    await a.join('c4:1', 'ann')
    await a.join('grid:1', 'ann')
    expect(await a.request({ type: 'move', roomId: 'c4:1', column: 3 })).toMatchObject({
      game: 'columns',
      column: 3,
    })
    expect(await a.request({ type: 'move', roomId: 'grid:1', dx: 1, dy: -1 })).toMatchObject({
      game: 'grid',
      dx: 1,
      dy: -1,
    })
    // A body that is the other game's is refused by the room's own schema.
    expect(await a.request({ type: 'move', roomId: 'c4:1', dx: 1, dy: 0 })).toMatchObject({
      type: 'error',
      code: 'INVALID_MESSAGE',
    })
    expect(await a.request({ type: 'move', roomId: 'grid:1', column: 2 })).toMatchObject({
      code: 'INVALID_MESSAGE',
    })
    expect(await a.request({ type: 'move', roomId: 'c4:1', column: 9 })).toMatchObject({
      code: 'INVALID_MESSAGE',
    })
    // A field neither defines is refused by the decoder already.
    expect(await a.request({ type: 'move', roomId: 'c4:1', column: 1, z: 0 })).toMatchObject({
      code: 'INVALID_MESSAGE',
    })
  })

  test('a behaviour’s own limit for a type: excess dropped and counted, the connection’s chat limit untouched', async () => {
    const { url, server } = await startServer(factory, {
      rooms: [{ match: /^arena:/, behaviour: Arena }],
    })
    const a = await TestClient.connect(url)
    await a.join('arena:1', 'ann')
    await a.join('chat', 'ann')
    // 100 cursors at once: more than the default 20/s (burst 40) and than the cursor's 30/s (burst 30).
    for (let i = 0; i < 100; i++) a.send({ type: 'cursor', roomId: 'arena:1', x: i, y: i })
    // The chat burst (40, two of which the joins took) is all still there: cursors did not use up
    // the connection's bucket.
    for (let i = 0; i < 37; i++) a.send({ type: 'message', roomId: 'chat', text: `m${i}` })
    await a.waitFor((f) => f.type === 'message' && f.text === 'm36')
    expect(a.of('error').filter((f) => f.code === 'RATE_LIMITED')).toEqual([])
    const counted = await a.request({ type: 'count', roomId: 'arena:1' })
    const cursors = counted.cursors as number
    expect(cursors).toBeGreaterThanOrEqual(30)
    expect(cursors).toBeLessThan(100)
    const snapshot = await server.introspect()
    const conn = snapshot.connections.find((c) => c.name === 'ann')!
    expect(conn.rateLimited).toBe(100 - cursors)
    expect(a.ws.readyState).toBe(a.ws.OPEN)
  })
})
