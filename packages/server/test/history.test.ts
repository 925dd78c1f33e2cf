import { describe, expect, test } from 'vitest'
import { startServer, TestClient, transports } from './support/harness.js'

async function fill(c: TestClient, roomId: string, n: number): Promise<void> {
  for (let i = 1; i <= n; i++) c.send({ type: 'message', roomId, text: `m${i}` })
  await c.waitFor((f) => f.type === 'message' && f.text === `m${n}`)
}

describe.each(transports)('history and recovery over $name', ({ factory }) => {
  test('history right after joined, and get_history with a limit', async () => {
    const { url } = await startServer(factory)
    const a = await TestClient.connect(url)
    const first = await a.join('r', 'ann')
    expect(first.offset).toBe(0)
    await a.barrier()
    expect(a.of('history')).toEqual([])
    await fill(a, 'r', 3)
    const b = await TestClient.connect(url)
    const joined = await b.join('r', 'bob')
    expect(joined.offset).toBe(3)
    const history = await b.waitFor((f) => f.type === 'history')
    expect(history.messages.map((m: { offset: number }) => m.offset)).toEqual([1, 2, 3])
    expect(history.recovered).toBeUndefined()
    expect(b.frames.indexOf(history)).toBe(b.frames.indexOf(joined) + 1)
    const two = await b.request({ type: 'get_history', roomId: 'r', limit: 2 })
    expect(two.messages.map((m: { text: string }) => m.text)).toEqual(['m2', 'm3'])
    expect(two.messages[0]).toMatchObject({ type: 'message', roomId: 'r', from: 'ann', offset: 2 })
    expect(await b.request({ type: 'get_history', roomId: 'nope' })).toMatchObject({ code: 'NOT_IN_ROOM' })
  })

  test('since returns exactly the missed offsets; recovered:false after rollover or another epoch', async () => {
    const { url } = await startServer(factory, { historySize: 5, roomGraceMs: 60_000 })
    const a = await TestClient.connect(url)
    const joined = await a.join('r', 'ann')
    await fill(a, 'r', 4)
    const b = await TestClient.connect(url)
    await b.join('r', 'bob', { since: { epoch: joined.epoch, offset: 2 } })
    const recovered = await b.waitFor((f) => f.type === 'history')
    expect(recovered.recovered).toBe(true)
    expect(recovered.messages.map((m: { offset: number }) => m.offset)).toEqual([3, 4])

    await fill(a, 'r', 6) // offsets 5..10; the ring keeps 6..10
    const c = await TestClient.connect(url)
    await c.join('r', 'cid', { since: { epoch: joined.epoch, offset: 4 } })
    expect((await c.waitFor((f) => f.type === 'history')).recovered).toBe(false)
    const d = await TestClient.connect(url)
    await d.join('r', 'dan', { since: { epoch: joined.epoch, offset: 5 } })
    const exact = await d.waitFor((f) => f.type === 'history')
    expect(exact.recovered).toBe(true)
    expect(exact.messages.map((m: { offset: number }) => m.offset)).toEqual([6, 7, 8, 9, 10])
    const e = await TestClient.connect(url)
    await e.join('r', 'eve', { since: { epoch: 'another-epoch', offset: 9 } })
    expect((await e.waitFor((f) => f.type === 'history')).recovered).toBe(false)
    const up = await TestClient.connect(url)
    await up.join('r', 'uma', { since: { epoch: joined.epoch, offset: 10 } })
    expect(await up.waitFor((f) => f.type === 'history')).toMatchObject({ recovered: true, messages: [] })
  })
})
