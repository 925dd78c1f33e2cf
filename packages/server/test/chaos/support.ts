import type { TransportFactory, TransportOptions } from '@hubbub/transport'
import { RawClient } from '@hubbub/transport/testing'
import { expect, onTestFinished } from 'vitest'
import type { ServerOptions } from '../../src/index.js'
import { type Frame, type Started, startServer, TestClient } from '../support/harness.js'

export { transports } from '../support/harness.js'

/**
 * A server with two well-behaved members in `lobby` who keep talking while a test
 * misbehaves beside them; `expectUnharmed()` checks the server still serves and
 * that they lost nothing: every message they sent arrived at both, with offsets
 * 1, 2, 3… and no gap.
 */
export async function chaosServer(
  factory: TransportFactory<any>,
  options: Omit<Partial<ServerOptions>, 'transport'> & {
    transport?: TransportOptions<any> & Record<string, unknown>
  } = {},
) {
  const { transport, ...rest } = options
  const started = await startServer(factory, {
    ...rest,
    ...(transport ? { transportOptions: transport } : {}),
  })
  const alice = await TestClient.connect(started.url)
  const bob = await TestClient.connect(started.url)
  await alice.join('lobby', 'alice')
  await bob.join('lobby', 'bob')
  let sent = 0
  let chatting: Promise<void> | undefined
  let stop = false
  /** One message from alice, awaited at both (the bystanders' traffic runs all through the test). */
  const say = async () => {
    const text = `chatter ${sent++}`
    alice.send({ type: 'message', roomId: 'lobby', text })
    await Promise.all(
      [alice, bob].map((c) => c.waitFor((f) => f.type === 'message' && f.text === text, 0, 20_000)),
    )
  }
  const startChatter = () => {
    chatting = (async () => {
      // about 10 a second: under the default rate limit (20/s), so the bystanders are never throttled
      while (!stop) {
        await say()
        await new Promise((r) => setTimeout(r, 100))
      }
    })()
  }
  onTestFinished(() => {
    stop = true
  })
  return {
    ...started,
    alice,
    bob,
    startChatter,
    /** A raw client that has joined `roomId` (or each of `rooms`) as `name`. */
    async raw(name: string, rooms: string[] = ['lobby']): Promise<RawClient> {
      const c = await RawClient.connect(started.port)
      onTestFinished(() => c.destroy())
      await c.next() // welcome
      for (const [i, roomId] of rooms.entries()) {
        c.send(JSON.stringify({ type: 'join', roomId, username: name, id: `j${i}` }))
        await waitForFrame(c, (f) => f.replyTo === `j${i}`)
      }
      return c
    },
    async expectUnharmed(): Promise<void> {
      stop = true
      await chatting
      for (let i = 0; i < 3; i++) await say()
      const health = (await (await started.http('/health')).json()) as { status: string }
      expect(health.status).toBe('ok')
      for (const c of [alice, bob]) {
        const mine = c.frames.filter(
          (f) => f.type === 'message' && f.roomId === 'lobby' && f.from === 'alice',
        )
        expect(mine.map((f) => f.text)).toEqual(Array.from({ length: sent }, (_, i) => `chatter ${i}`))
        const offsets = c.frames
          .filter((f) => f.type === 'message' && f.roomId === 'lobby')
          .map((f) => f.offset)
        expect(offsets).toEqual(Array.from({ length: offsets.length }, (_, i) => (offsets[0] as number) + i))
        expect(c.ws.readyState).toBe(c.ws.OPEN)
      }
    },
    /** Resolves once `n` more chatter messages have reached bob (time passes, measured in delivered traffic). */
    async chatterPasses(n: number): Promise<void> {
      const target = `chatter ${sent + n - 1}`
      await bob.waitFor((f) => f.type === 'message' && f.text === target, 0, 30_000)
    },
    /** How many `user_left` for `name` a bystander has seen. */
    leftCount(name: string): number {
      return bob.frames.filter((f) => f.type === 'user_left' && f.username === name).length
    },
  } satisfies Started & Record<string, unknown>
}

/** The first JSON frame a raw client received (or receives) that matches. */
export async function waitForFrame(
  c: RawClient,
  pred: (f: Frame) => boolean,
  timeoutMs = 10_000,
): Promise<Frame> {
  const deadline = Date.now() + timeoutMs
  for (let i = 0; ; i++) {
    while (i >= c.messages.length) {
      if (Date.now() > deadline) throw new Error('no matching frame')
      await c.waitForMessages(i + 1, Math.max(1, deadline - Date.now()))
    }
    const m = c.messages[i]
    if (m && !m.binary) {
      const f = JSON.parse(String(m.data)) as Frame
      if (pred(f)) return f
    }
  }
}
