import { schemas } from '@hubbub/protocol'
import { defineRoom } from '@hubbub/rooms'
import { describe, expect, it } from 'vitest'
import { testClient } from './helpers.js'
import { startServer, transports } from './realServer.js'

// A room behaviour needs zod object schemas; the protocol's own give us two without a zod dependency here.
const Cursors = defineRoom({
  name: 'cursors',
  messages: {
    cursor: schemas.client.message.pick({ text: true }),
    count: schemas.client.typing.pick({ isTyping: true }),
  },
  rateLimits: { cursor: { perSecond: 30 } },
  init: () => ({ n: 0, last: '' }),
  onMessage: (ctx: any, msg: { type: string; text: string }, state: { n: number; last: string }) => {
    if (msg.type === 'count') return void ctx.reply({ type: 'count', ...state })
    return { state: { n: state.n + 1, last: msg.text } }
  },
} as never)

describe.each(transports)('typeRates over $name', ({ factory }) => {
  it('frames of a type its room limits skip the connection rate; over it, only the newest waits', async () => {
    const { url, server } = await startServer(factory, {
      rooms: [{ match: /^c:/, behaviour: Cursors }],
    })
    const client = testClient(url, { typeRates: { cursor: 30 }, customTypes: ['count'] })
    const room = await client.join('c:1', { username: 'ann' })
    // Frames of the behaviour above, untyped here (no defineMessages codec in this test).
    const app = client as unknown as { send(f: object): void; request(f: object): Promise<any> }
    for (let i = 0; i < 100; i++) app.send({ type: 'cursor', roomId: 'c:1', text: `c${i}` })
    // The newest position arrives; a burst (half a second's worth) went at once, the rest but the newest were dropped.
    await expect
      .poll(async () => (await app.request({ type: 'count', roomId: 'c:1', isTyping: true })).last)
      .toBe('c99')
    const { n } = await app.request({ type: 'count', roomId: 'c:1', isTyping: true })
    expect(n).toBeGreaterThanOrEqual(16)
    expect(n).toBeLessThan(40)
    // Nothing was over the server's limits, and chat still has its own rate.
    expect((await server.introspect()).connections[0]!.rateLimited).toBe(0)
    expect(await room.send('still chatting')).toMatchObject({ text: 'still chatting' })
  })
})
