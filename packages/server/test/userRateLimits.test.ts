import { defineRoom, type MessageRateLimit, reply } from '@hubbub/rooms'
import { describe, expect, test } from 'vitest'
import { z } from 'zod'
import { createServer, hmacAuth, ServerError, signToken } from '../src/index.js'
import { type Frame, startServer, TestClient, transports } from './support/harness.js'

const SECRET = 'user-rate-limits-test-secret-of-32+bytes'
/**
 * The bucket holds BURST taps and refills one a second, so counts, not timings, tell the buckets
 * apart: however long a test takes, at most one more tap per elapsed second gets through.
 */
const BURST = 30

/** A room that counts the taps it accepts, per user. */
function tapRoom(limit: Partial<MessageRateLimit>) {
  return defineRoom({
    name: 'taps',
    messages: { tap: z.object({}), count: z.object({}) },
    rateLimits: { tap: { perSecond: 1, burst: BURST, abuseMs: 600_000, ...limit } },
    init: () => ({}) as Record<string, number>,
    onMessage: (ctx, msg, state) => {
      if (msg.type === 'count') return [reply({ type: 'count', taps: state })]
      const name = ctx.user!.name
      return { state: { ...state, [name]: (state[name] ?? 0) + 1 } }
    },
  })
}

async function userClient(url: string, userId: string): Promise<TestClient> {
  const token = await signToken(SECRET, { userId, name: userId })
  return TestClient.connect(url, { headers: { authorization: `Bearer ${token}` } })
}

/** Each client sends `n` taps to `roomId`, then a `count`: once all are answered, the room has seen every tap. */
async function tapAll(clients: TestClient[], roomId: string, n: number): Promise<Record<string, number>> {
  for (const c of clients) for (let i = 0; i < n; i++) c.send({ type: 'tap', roomId })
  const counts = await Promise.all(clients.map((c) => c.request({ type: 'count', roomId })))
  const last = await clients[0]!.request({ type: 'count', roomId })
  expect(counts.every((f) => f.type === 'count')).toBe(true)
  return last.taps as Record<string, number>
}

const rateLimitedErrors = (clients: TestClient[]): Frame[] =>
  clients.flatMap((c) => c.of('error').filter((f) => f.code === 'RATE_LIMITED'))

describe.each(transports)('per-user rate limits of a behaviour over $name', ({ factory }) => {
  test('two connections of one user share one bucket; another user has its own', async () => {
    const { url, server } = await startServer(factory, {
      auth: hmacAuth({ secret: SECRET }),
      rooms: [{ match: /^taps:/, behaviour: tapRoom({}) }],
    })
    const ann1 = await userClient(url, 'ann')
    const ann2 = await userClient(url, 'ann')
    const bob = await userClient(url, 'bob')
    for (const c of [ann1, ann2, bob]) expect(await c.join('taps:1')).toMatchObject({ type: 'joined' })
    expect((await server.introspect()).userRateLimits).toBe(2)

    const started = Date.now()
    const taps = await tapAll([ann1, ann2, bob], 'taps:1', BURST)
    const refilled = Math.ceil((Date.now() - started) / 1000)
    // ann's two tabs together: the burst, plus what the bucket refilled meanwhile (one per second);
    // per-connection buckets would have let all 2 × BURST through.
    expect(taps.ann).toBeGreaterThanOrEqual(BURST)
    expect(taps.ann).toBeLessThanOrEqual(BURST + refilled)
    expect(taps.ann).toBeLessThan(2 * BURST)
    // bob's bucket is his own, full: ann's taps took nothing from it.
    expect(taps.bob).toBe(BURST)

    // Excess is dropped unanswered and counted on the connection that sent it.
    const { connections } = await server.introspect()
    const limited = (userId: string) =>
      connections.filter((c) => c.userId === userId).reduce((n, c) => n + c.rateLimited, 0)
    expect(limited('ann')).toBe(2 * BURST - taps.ann!)
    expect(limited('bob')).toBe(0)
    expect(rateLimitedErrors([ann1, ann2, bob])).toEqual([])
    for (const c of [ann1, ann2, bob]) expect(c.ws.readyState).toBe(c.ws.OPEN)
  })

  test("per: 'connection' keeps one bucket per connection", async () => {
    const { url, server } = await startServer(factory, {
      auth: hmacAuth({ secret: SECRET }),
      rooms: [{ match: /^taps:/, behaviour: tapRoom({ per: 'connection' }) }],
    })
    const ann1 = await userClient(url, 'ann')
    const ann2 = await userClient(url, 'ann')
    for (const c of [ann1, ann2]) await c.join('taps:1')
    const taps = await tapAll([ann1, ann2], 'taps:1', BURST)
    // Each full bucket lets its own burst through.
    expect(taps.ann).toBe(2 * BURST)
    const snapshot = await server.introspect()
    expect(snapshot.connections.map((c) => c.rateLimited)).toEqual([0, 0])
    expect(snapshot.userRateLimits).toBe(0)
  })

  test('the bucket goes when the user’s last connection leaves the room', async () => {
    const { url, server } = await startServer(factory, {
      auth: hmacAuth({ secret: SECRET }),
      rooms: [{ match: /^taps:/, behaviour: tapRoom({}) }],
    })
    const entries = async () => (await server.introspect({ history: false })).userRateLimits
    const ann1 = await userClient(url, 'ann')
    const ann2 = await userClient(url, 'ann')
    const bob = await userClient(url, 'bob')
    for (const c of [ann1, ann2, bob]) await c.join('taps:1')
    await ann1.join('taps:2')
    expect(await entries()).toBe(3)

    // Drain ann's bucket in taps:1 from both tabs.
    const before = await tapAll([ann1, ann2], 'taps:1', BURST)
    expect(before.ann).toBeLessThan(2 * BURST)

    // A frame for a room it is not in pays from the connection's bucket and keeps nothing.
    expect(await bob.request({ type: 'tap', roomId: 'taps:3' })).toMatchObject({ code: 'NOT_IN_ROOM' })
    expect(await entries()).toBe(3)

    // One tab leaves: the other still holds ann's bucket.
    expect(await ann1.request({ type: 'leave', roomId: 'taps:1' })).toMatchObject({ type: 'left' })
    expect(await entries()).toBe(3)
    // The other closes: ann has nobody left in taps:1, and her bucket there goes (taps:2 keeps its own).
    ann2.close()
    await expect.poll(entries).toBe(2)

    // Back in the room (which bob keeps running), ann starts with a full bucket: the drained one
    // would hold only what it refilled since (one tap a second, within the test's timeout of 20 s).
    const ann3 = await userClient(url, 'ann')
    await ann3.join('taps:1')
    expect(await entries()).toBe(3)
    const after = await tapAll([ann3], 'taps:1', BURST)
    expect(after.ann! - before.ann!).toBe(BURST)
    expect(
      (await server.introspect()).connections.find((c) => c.userId === 'ann' && c.rooms.includes('taps:1'))
        ?.rateLimited,
    ).toBe(0)

    expect(await bob.request({ type: 'leave', roomId: 'taps:1' })).toMatchObject({ type: 'left' })
    expect(await entries()).toBe(2)
    ann1.close()
    ann3.close()
    await expect.poll(entries).toBe(0)
  })
})

test("a limit's `per` is 'user' or 'connection'", () => {
  const rooms = tapRoom({ per: 'room' as never })
  expect(() => createServer({ auth: { anonymous: true }, rooms })).toThrow(ServerError)
  expect(() => createServer({ auth: { anonymous: true }, rooms })).toThrow(/rateLimits\.tap\.per must be/)
})
