import { describe, expect, test } from 'vitest'
import { startServer, TestClient, transports } from './support/harness.js'

describe.each(transports)('chat over $name', ({ factory }) => {
  test('welcome, join with complete users, messages exactly once with consecutive offsets', async () => {
    const { url } = await startServer(factory)
    const a = await TestClient.connect(url)
    const welcome = a.of('welcome')[0]!
    expect(welcome).toMatchObject({ protocol: 1, heartbeatMs: 0 })
    expect(typeof welcome.connectionId).toBe('string')
    const joinedA = await a.join('general', 'ann')
    expect(joinedA).toMatchObject({ type: 'joined', roomId: 'general', users: ['ann'], count: 1, offset: 0 })
    const b = await TestClient.connect(url)
    const joinedB = await b.join('general', 'bob')
    expect(joinedB.users).toEqual(['ann', 'bob'])
    expect(joinedB.epoch).toBe(joinedA.epoch)
    await a.waitFor((f) => f.type === 'user_joined' && f.username === 'bob')

    for (let i = 0; i < 5; i++) a.send({ type: 'message', roomId: 'general', text: `a${i}` })
    for (let i = 0; i < 5; i++) b.send({ type: 'message', roomId: 'general', text: `b${i}` })
    for (const c of [a, b]) {
      await c.waitFor((f) => f.type === 'message' && f.offset === 10)
      await c.barrier()
      const offsets = c.of('message').map((f) => f.offset)
      expect(offsets).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    }
    expect(
      a
        .of('message')
        .filter((m) => m.from === 'ann')
        .map((m) => m.text),
    ).toEqual(['a0', 'a1', 'a2', 'a3', 'a4'])
  })
})
