import { createServer as createNetServer } from 'node:net'
import { wsTransport } from '@hubbub/transport-ws'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import WebSocket from 'ws'
import type { ConnectOptions, OutgoingMessage, ReceivedMessage } from '../src/index.js'
import { next, record, testClient, until } from './helpers.js'
import { startServer, type TransportFactory, transports } from './realServer.js'

/** A `ws` class that remembers its sockets, so a test can cut one on the client's side. */
function socketsOf() {
  const sockets: WebSocket[] = []
  class Remembered extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args)
      sockets.push(this)
    }
  }
  return {
    WebSocket: Remembered as never,
    /** Destroys the current TCP socket without a close handshake: the server sees 1006. */
    cut: () => sockets.at(-1)!.terminate(),
  }
}

async function member(url: string, username: string, options: ConnectOptions = {}) {
  const client = testClient(url, options)
  const room = await client.join('lobby', { username })
  return { client, room }
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const probe = createNetServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as { port: number }
  await new Promise((resolve) => probe.close(resolve))
  return port
}

/** Presence events about `username` that a room emitted. */
function presenceAt(room: { on(type: string, fn: (v: any) => void): () => void }, username: string) {
  const seen: string[] = []
  for (const type of ['user_joined', 'user_left'])
    room.on(type, (e: { username: string }) => e.username === username && seen.push(type))
  return seen
}

describe.each(transports)('honest states over $name', ({ factory }) => {
  it('a send is pending, then sent with the offset the server gave it', async () => {
    const { url } = await startServer(factory)
    const alice = await member(url, 'alice')
    const atRoom = record<OutgoingMessage>(alice.room, 'outgoing')
    const atClient = record<OutgoingMessage>(alice.client, 'outgoing')
    const sending = alice.room.send('hello')
    expect(alice.room.pending.map((p) => [p.text, p.status])).toEqual([['hello', 'pending']])
    expect(atRoom.map((o) => o.status)).toEqual(['pending'])
    const sent = await sending
    expect(alice.room.pending).toEqual([])
    expect(atRoom.map((o) => o.status)).toEqual(['pending', 'sent'])
    expect(atRoom[1]).toMatchObject({ roomId: 'lobby', text: 'hello', message: { offset: sent.offset } })
    expect(atClient.map((o) => o.id)).toEqual(atRoom.map((o) => o.id))
  })

  it('a send the server refuses is pending, then failed with its error', async () => {
    const { url } = await startServer(factory)
    const alice = await member(url, 'alice')
    const events = record<OutgoingMessage>(alice.room, 'outgoing')
    // longer than the server's textMaxLength (2,000): refused with an error frame
    await expect(alice.room.send('x'.repeat(2001))).rejects.toMatchObject({ code: 'INVALID_MESSAGE' })
    expect(events.map((o) => o.status)).toEqual(['pending', 'failed'])
    expect(events[1]!.error?.code).toBe('INVALID_MESSAGE')
    expect(alice.room.pending).toEqual([])
  })

  it('a send queued while offline stays pending until the reconnect, then is sent once', async () => {
    const { server, url } = await startServer(factory, { presenceGraceMs: 0 })
    const slow = { reconnect: { minMs: 300, maxMs: 300, factor: 1, jitter: 0 } }
    const alice = await member(url, 'alice', slow)
    const reconnecting = next(alice.client, 'reconnecting')
    server.terminate(alice.client.welcome!.connectionId)
    await reconnecting
    const events = record<OutgoingMessage>(alice.room, 'outgoing')
    const sent = await alice.room.send('typed offline')
    expect(events.map((o) => o.status)).toEqual(['pending', 'sent'])
    expect(sent.offset).toBe(1)
  })

  it('a dropped socket reconnects with its resume token: the others see no one leave or join, and the missed messages come flagged recovered', async () => {
    // a long grace: the outage below is well within it
    const { url } = await startServer(factory, { presenceGraceMs: 60_000 })
    const ann = await member(url, 'ann')
    const link = socketsOf()
    const bob = await member(url, 'bob', { WebSocket: link.WebSocket })
    await until(ann.room, ['users'], () => ann.room.users.includes('bob'))
    const atAnn = presenceAt(ann.room, 'bob')
    const atBob = record<ReceivedMessage>(bob.room, 'message')
    const reconnecting = next(bob.client, 'reconnecting')
    link.cut()
    await reconnecting
    await ann.room.send('while you were out')
    await next(bob.client, 'open')
    await until(bob.room, ['message'], () => atBob.length === 1)
    expect(atBob[0]).toMatchObject({ text: 'while you were out', recovered: true })
    // bob is back as himself: what he says reaches ann, and ann heard of no departure
    const atAnnMessages = record<ReceivedMessage>(ann.room, 'message')
    await bob.room.send('back')
    await until(ann.room, ['message'], () => atAnnMessages.length === 1)
    expect(atAnnMessages[0]).toMatchObject({ from: 'bob', text: 'back' })
    expect(atAnnMessages[0]!.recovered).toBeUndefined()
    expect(atAnn).toEqual([])
    expect(ann.room.users).toEqual(['ann', 'bob'])
  })

  it('connect_failed reports each attempt that ends before a welcome', async () => {
    const port = await closedPort()
    const client = testClient(`ws://127.0.0.1:${port}/ws`)
    const failures = record<{ attempt: number }>(client, 'connect_failed')
    await until(client, ['connect_failed'], () => failures.length >= 2)
    expect(failures.slice(0, 2).map((f) => f.attempt)).toEqual([1, 2])
  })

  it('reconnectNow() skips the backoff wait', async () => {
    const { server, url } = await startServer(factory, { presenceGraceMs: 0 })
    // a retry an hour away: only reconnectNow() can bring the client back within the test
    const alice = await member(url, 'alice', { reconnect: { minMs: 3_600_000, maxMs: 3_600_000 } })
    const reconnecting = next(alice.client, 'reconnecting')
    server.terminate(alice.client.welcome!.connectionId)
    await reconnecting
    const open = next(alice.client, 'open')
    alice.client.reconnectNow()
    await open
    expect(alice.client.state).toBe('open')
  })

  it("after a server restart, members who come back within the server's grace cause no left/joined churn", async () => {
    const first = await startServer(factory, { presenceGraceMs: 60_000 })
    const quick = { reconnect: { minMs: 250, maxMs: 250, factor: 1, jitter: 0 } }
    const ann = await member(first.url, 'ann', quick)
    const bob = await member(first.url, 'bob', quick)
    await until(ann.room, ['users'], () => ann.room.users.includes('bob'))
    const atAnn = presenceAt(ann.room, 'bob')
    const atBob = presenceAt(bob.room, 'ann')
    const away = Promise.all([ann, bob].map(({ client }) => next(client, 'reconnecting')))
    await first.server.close({ graceMs: 500 })
    await away
    await startServer(factory, { presenceGraceMs: 60_000 }, first.port)
    // both rejoin; whoever is first finds the other missing for a moment
    await vi.waitFor(
      () => {
        for (const { client, room } of [ann, bob]) expect([client.state, room.count]).toEqual(['open', 2])
      },
      { timeout: 15_000, interval: 20 },
    )
    expect(ann.room.users.sort()).toEqual(['ann', 'bob'])
    expect(bob.room.users.sort()).toEqual(['ann', 'bob'])
    expect(atAnn).toEqual([])
    expect(atBob).toEqual([])
  })
})

describe('in a browser page', () => {
  it('reconnects at once when the network comes back or the page becomes visible', async () => {
    const { server, url } = await startServer(wsTransport as TransportFactory, { presenceGraceMs: 0 })
    const page = new EventTarget()
    const document = Object.assign(new EventTarget(), { visibilityState: 'visible' })
    const g = globalThis as Record<string, unknown>
    const saved = { addEventListener: g.addEventListener, removeEventListener: g.removeEventListener }
    g.addEventListener = page.addEventListener.bind(page)
    g.removeEventListener = page.removeEventListener.bind(page)
    g.document = document
    onTestFinished(() => {
      Object.assign(g, saved)
      delete g.document
    })
    const alice = await member(url, 'alice', { reconnect: { minMs: 3_600_000, maxMs: 3_600_000 } })
    for (const wake of [
      () => page.dispatchEvent(new Event('online')),
      () => document.dispatchEvent(new Event('visibilitychange')),
    ]) {
      const reconnecting = next(alice.client, 'reconnecting')
      server.terminate(alice.client.welcome!.connectionId)
      await reconnecting
      const open = next(alice.client, 'open')
      wake()
      await open
    }
    expect(alice.client.state).toBe('open')
  })
})
