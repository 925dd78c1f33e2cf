import { type ClientFrame, type FrameCodec, type ServerFrame, schemas } from '@hubbub/protocol'
import { type HubbubServer, hmacAuth, signToken } from '@hubbub/server'
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { Client, ConnectOptions, GapEvent } from '../src/index.js'
import { next, record, testClient, until } from './helpers.js'
import { startServer, transports } from './realServer.js'

/** The frames of the poke room below, typed as `defineMessages` would type them. */
type PokeCodec = FrameCodec<
  ClientFrame | { type: 'poke'; id?: string; roomId: string; isTyping: boolean },
  ServerFrame | { type: 'poked'; replyTo?: string; pokes: number } | { type: 'pokes'; pokes: number }
>

/** Kills the client's socket from the server side, without a close handshake. */
function terminate(server: HubbubServer, client: Client): void {
  if (!server.terminate(client.welcome!.connectionId)) throw new Error('no such connection')
}

async function member(url: string, username: string, options: ConnectOptions = {}) {
  const client = testClient(url, options)
  const room = await client.join('lobby', { username })
  return { client, room }
}

/** A reconnect delay long enough to publish during the outage, short enough for a fast test. */
const slowReconnect = { reconnect: { minMs: 250, maxMs: 250, factor: 1, jitter: 0 } }

/**
 * Holds a client's reconnects for as long as the test needs: `connect` asks `token()` before it
 * opens each socket, so an outage lasts until `release()` however long the test's sends take.
 * (An empty token adds no subprotocol: anonymous auth still applies.)
 */
function outage() {
  let release = () => {}
  let gate: Promise<void> = Promise.resolve()
  return {
    options: {
      token: async () => {
        await gate
        return ''
      },
    } satisfies ConnectOptions,
    hold() {
      gate = new Promise((resolve) => (release = resolve))
    },
    release: () => release(),
  }
}

describe.each(transports)('against a real server over $name', ({ factory }) => {
  it('joins, sends and receives: the sender gets its own copy once, with the offset send() resolved to', async () => {
    const { url } = await startServer(factory)
    const alice = await member(url, 'alice')
    const bob = await member(url, 'bob')
    const atAlice = record(alice.room, 'message')
    const atBob = record(bob.room, 'message')
    const sent = await alice.room.send('hi bob')
    expect(sent).toMatchObject({ type: 'message', roomId: 'lobby', from: 'alice', text: 'hi bob', offset: 1 })
    await until(bob.room, ['message'], () => atBob.length === 1)
    expect(atBob).toEqual([sent])
    expect(atAlice).toEqual([sent])
    const reply = await bob.room.send('hi alice')
    await until(alice.room, ['message'], () => atAlice.length === 2)
    expect(atAlice.map((m) => [m.from, m.offset])).toEqual([
      ['alice', 1],
      ['bob', 2],
    ])
    expect(reply.offset).toBe(2)
    // A late joiner gets the room's recent messages as its backlog.
    const carol = await member(url, 'carol')
    expect(carol.room.backlog.map((m) => m.text)).toEqual(['hi bob', 'hi alice'])
  })

  it('keeps room.users current as members join, leave and disconnect', async () => {
    const { url } = await startServer(factory)
    const alice = await member(url, 'alice')
    const bob = await member(url, 'bob')
    expect(bob.room.users.sort()).toEqual(['alice', 'bob'])
    await until(alice.room, ['users'], () => alice.room.users.includes('bob'))
    const carol = await member(url, 'carol')
    await until(alice.room, ['users'], () => alice.room.users.length === 3)
    await bob.room.leave()
    await until(alice.room, ['users'], () => !alice.room.users.includes('bob'))
    carol.client.close()
    await until(alice.room, ['users'], () => !alice.room.users.includes('carol'))
    expect(alice.room.users).toEqual(['alice'])
    expect(await alice.room.listUsers()).toEqual(['alice'])
    expect(alice.room.count).toBe(1)
  })

  it('after a server-side terminate: reconnects, rejoins, and gets every message of the outage once, in order', async () => {
    const { server, url } = await startServer(factory)
    const link = outage()
    const alice = await member(url, 'alice', link.options)
    const bob = await member(url, 'bob')
    await bob.room.send('before')
    await until(alice.room, ['message'], () => alice.room.offset === 1)
    const received = record(alice.room, 'message')
    const gaps = record(alice.room, 'gap')
    const reconnecting = next(alice.client, 'reconnecting')
    link.hold()
    terminate(server, alice.client)
    await reconnecting
    const sent: number[] = []
    for (let i = 0; i < 10; i++) sent.push((await bob.room.send(`during ${i}`)).offset)
    const reopened = next(alice.client, 'open')
    link.release()
    await reopened
    const after = await bob.room.send('after')
    await until(alice.room, ['message'], () => alice.room.offset === after.offset)
    expect(received.map((m) => m.offset)).toEqual([...sent, after.offset])
    expect(received.map((m) => m.text)).toEqual([...sent.map((_, i) => `during ${i}`), 'after'])
    expect(gaps).toEqual([])
  })

  it('after an outage longer than the history: one gap with the lost range, then live messages', async () => {
    const { server, url } = await startServer(factory, { historySize: 5 })
    const link = outage()
    const alice = await member(url, 'alice', link.options)
    const bob = await member(url, 'bob')
    await bob.room.send('seen')
    await until(alice.room, ['message'], () => alice.room.offset === 1)
    const gaps = record<GapEvent>(alice.room, 'gap')
    const received = record(alice.room, 'message')
    const reconnecting = next(alice.client, 'reconnecting')
    link.hold()
    terminate(server, alice.client)
    await reconnecting
    for (let i = 2; i <= 13; i++) await bob.room.send(`missed ${i}`)
    const nextGap = next<GapEvent>(alice.room, 'gap')
    link.release()
    const gap = await nextGap
    // The history keeps offsets 9–13: 2–8 are gone.
    expect(gap).toEqual({
      roomId: 'lobby',
      epoch: alice.room.epoch,
      from: 2,
      to: 8,
      reason: 'expired',
      recovered: false,
    })
    const live = await bob.room.send('live')
    await until(alice.room, ['message'], () => alice.room.offset === live.offset)
    expect(received.map((m) => m.offset)).toEqual([9, 10, 11, 12, 13, 14])
    expect(gaps).toHaveLength(1)
  })

  it('after a server restart (new epoch): gap with recovered: false, then messages of the new epoch', async () => {
    const first = await startServer(factory)
    const alice = await member(first.url, 'alice', slowReconnect)
    await alice.room.send('old epoch')
    const oldEpoch = alice.room.epoch
    const gap = next<GapEvent>(alice.room, 'gap')
    const reconnecting = next(alice.client, 'reconnecting')
    await first.server.close({ graceMs: 500 })
    await reconnecting
    const second = await startServer(factory, {}, first.port)
    expect(await gap).toMatchObject({
      roomId: 'lobby',
      reason: 'epoch',
      recovered: false,
      previous: { epoch: oldEpoch, offset: 1 },
    })
    expect(alice.room.epoch).not.toBe(oldEpoch)
    const bob = await member(second.url, 'bob')
    const received = record(alice.room, 'message')
    await bob.room.send('new epoch')
    await until(alice.room, ['message'], () => received.length === 1)
    expect(received[0]).toMatchObject({ text: 'new epoch', offset: 1 })
  })

  it('sends made while disconnected are flushed once after the rejoin, never duplicated', async () => {
    const { server, url } = await startServer(factory)
    const alice = await member(url, 'alice', slowReconnect)
    const bob = await member(url, 'bob')
    const atBob = record(bob.room, 'message')
    const reconnecting = next(alice.client, 'reconnecting')
    terminate(server, alice.client)
    await reconnecting
    const queued = ['q1', 'q2', 'q3'].map((text) => alice.room.send(text))
    const confirmed = await Promise.all(queued)
    expect(confirmed.map((m) => m.text)).toEqual(['q1', 'q2', 'q3'])
    expect(confirmed.map((m) => m.offset)).toEqual([1, 2, 3])
    // Another reconnect must not send them again.
    const again = next(alice.client, 'reconnecting')
    terminate(server, alice.client)
    await again
    await next(alice.client, 'open')
    const marker = await bob.room.send('marker')
    await until(bob.room, ['message'], () => atBob.some((m) => m.offset === marker.offset))
    expect(atBob.map((m) => m.text)).toEqual(['q1', 'q2', 'q3', 'marker'])
    const history = await bob.room.history(50)
    expect(history.map((m) => m.text)).toEqual(['q1', 'q2', 'q3', 'marker'])
  })

  it('after a room crash (the server restarts the room and drops its members): rejoins, recovers from the log without a gap, loses no send', async () => {
    const { server, url } = await startServer(factory, { roomGraceMs: 60_000 })
    const alice = await member(url, 'alice')
    const bob = await member(url, 'bob')
    await alice.room.send('before the crash')
    const epoch = alice.room.epoch
    const gaps = record(alice.room, 'gap')
    const messages = record(alice.room, 'message')
    const errors = record(alice.client, 'error')
    const old = server.rooms.whereis('lobby')!
    server.system.exit(old, { error: new Error('injected room crash') })
    // Bob's client rejoins on its own too; a send made during all this lands exactly once.
    await until(alice.client, ['error'], () => errors.some((e) => e.code === 'INTERNAL'))
    const sent = await alice.room.send('after the crash')
    expect(sent.offset).toBe(2)
    await until(bob.room, ['message'], () => bob.room.offset === 2)
    expect(alice.room.epoch).toBe(epoch)
    expect(bob.room.epoch).toBe(epoch)
    expect(gaps).toEqual([])
    expect(messages.map((m) => m.offset)).toEqual([2])
    // Bob's rejoin reaches alice on her own socket, which need not have been read yet.
    await until(alice.room, ['users'], () => alice.room.users.length === 2)
    expect(alice.room.users.sort()).toEqual(['alice', 'bob'])
  })

  it('authenticates with a token (asked again on reconnect) and shows the identity name', async () => {
    const secret = 'a-test-secret-of-enough-length-0123456789'
    const { server, url } = await startServer(factory, { auth: hmacAuth({ secret }), roomGraceMs: 60_000 })
    let tokens = 0
    const client = testClient(url, {
      token: () => {
        tokens++
        return signToken(secret, { userId: 'u1', name: 'ada' })
      },
    })
    const room = await client.join('lobby')
    expect(room.users).toEqual(['ada'])
    expect((await room.send('signed')).from).toBe('ada')
    const reconnecting = next(client, 'reconnecting')
    terminate(server, client)
    await reconnecting
    await next(client, 'open')
    expect(tokens).toBe(2)
    expect((await room.send('again')).offset).toBe(2)
  })

  it('a refused token: a typed auth_failed event, join() rejects UNAUTHORIZED, and no reconnect', async () => {
    const secret = 'a-test-secret-of-enough-length-0123456789'
    const { url } = await startServer(factory, { auth: hmacAuth({ secret }) })
    const forged = await signToken(`${secret}!`, { userId: 'u1', name: 'ada' })
    let tokens = 0
    const client = testClient(url, {
      token: () => {
        tokens++
        return forged
      },
    })
    const reconnects = record(client, 'reconnecting')
    const failed = next(client, 'auth_failed')
    const joining = client.join('lobby')
    await expect(joining).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: expect.stringMatching(/^the server refused the credential: invalid token/),
    })
    expect(await failed).toMatchObject({ code: 4401, message: expect.stringMatching(/^invalid token/) })
    expect(client.state).toBe('closed')
    // Later calls fail at once with the same reason instead of waiting for a connection.
    await expect(client.join('other')).rejects.toMatchObject({ code: 'UNAUTHORIZED' })
    expect(reconnects).toEqual([])
    expect(tokens).toBe(1)
  })

  it('delivers a broadcastWhere frame of a type it was never told about as a custom event', async () => {
    const { server, url } = await startServer(factory)
    const client = testClient(url)
    await client.join('lobby', { username: 'ann' })
    const errors = record(client, 'error')
    const custom = next<{ type: string; text: string }>(client, 'custom')
    expect(server.broadcastWhere(() => true, { type: 'org_notice', text: 'maintenance at 6' })).toBe(1)
    expect(await custom).toEqual({ type: 'org_notice', text: 'maintenance at 6' })
    expect(errors).toEqual([])
  })

  it("shows the server's drop backpressure policy as gaps: every offset is delivered once or inside one gap", async () => {
    const { server, url } = await startServer(factory, {
      transportOptions: { backpressure: 'drop', maxBackpressure: 16 * 1024 },
    })
    // A WebSocket class that keeps its instances, so the test can stop reading (a slow consumer).
    const sockets: WebSocket[] = []
    class TrackedWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols)
        sockets.push(this)
      }
    }
    const alice = await member(url, 'alice', { WebSocket: TrackedWebSocket as never })
    const delivered = record(alice.room, 'message')
    const gaps = record<GapEvent>(alice.room, 'gap')
    const socket = (sockets[0] as unknown as { _socket: { pause(): void; resume(): void } })._socket
    socket.pause()
    const total = 10_000
    const text = 'x'.repeat(2000)
    for (let i = 0; i < total; i++) server.broadcast('lobby', { text, from: 'server' })
    // Bob's echo proves the room has published every broadcast (it sequences in order) while alice was stalled.
    const bob = await member(url, 'bob')
    await bob.room.send('while stalled')
    socket.resume()
    // Anything published before alice drained may be dropped too: probe until one reaches her.
    let last = 0
    while (alice.room.offset < last || last === 0) {
      last = (await bob.room.send('probe')).offset
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(gaps.length).toBeGreaterThan(0)
    const seen = new Map<number, number>()
    for (const m of delivered) seen.set(m.offset, (seen.get(m.offset) ?? 0) + 1)
    for (const g of gaps) {
      expect(g.reason).toBe('dropped')
      for (let o = g.from; o <= g.to; o++) seen.set(o, (seen.get(o) ?? 0) + 1)
    }
    expect(seen.size).toBe(alice.room.offset)
    expect([...seen.values()].every((n) => n === 1)).toBe(true)
  })

  it('a burst of sends beyond the server rate limit is paced, so every one is accepted, in order', async () => {
    const { url } = await startServer(factory)
    const alice = await member(url, 'alice')
    const texts = Array.from({ length: 60 }, (_, i) => `burst ${i}`)
    const confirmed = await Promise.all(texts.map((text) => alice.room.send(text)))
    expect(confirmed.map((m) => m.text)).toEqual(texts)
    expect(confirmed.map((m) => m.offset)).toEqual(texts.map((_, i) => i + 1))
  })

  it('custom room frames: client.send/request and custom events against a real room behaviour', async () => {
    // A room behaviour needs zod object schemas; the protocol's own give us one without a zod dependency here.
    const poke = schemas.client.typing.pick({ isTyping: true })
    const Poker = {
      name: 'poker',
      messages: { poke },
      init: () => ({ pokes: 0 }),
      onMessage: (ctx: any, _msg: { isTyping: boolean }, state: { pokes: number }) => {
        const pokes = state.pokes + 1
        ctx.reply({ type: 'poked', pokes })
        ctx.broadcast({ type: 'pokes', pokes })
        return { state: { pokes } }
      },
    }
    const { url } = await startServer(factory, { rooms: [{ match: /^poke:/, behaviour: Poker as never }] })
    const client = testClient(url, { customTypes: ['poked', 'pokes'] }) as unknown as Client<PokeCodec>
    await client.join('poke:1', { username: 'ann' })
    // Room behaviours broadcast their frames as written (no roomId here), so they arrive on the client.
    const custom = record(client, 'custom')
    const reply = await client.request({ type: 'poke', roomId: 'poke:1', isTyping: true })
    expect(reply).toEqual({ type: 'poked', pokes: 1, replyTo: expect.any(String) })
    client.send({ type: 'poke', roomId: 'poke:1', isTyping: false })
    await until(client, ['custom'], () => custom.length === 3)
    // The answer to a fire-and-forget send has no request waiting for it: the app sees it as a custom frame.
    expect(custom).toEqual([
      { type: 'pokes', pokes: 1 },
      { type: 'poked', pokes: 2, replyTo: expect.any(String) },
      { type: 'pokes', pokes: 2 },
    ])
  })

  it('private messages and listRooms', async () => {
    const { url } = await startServer(factory)
    const alice = await member(url, 'alice')
    const bob = await member(url, 'bob')
    const inbox = next(bob.client, 'private')
    const echo = await alice.client.private('bob', 'psst')
    expect(echo).toMatchObject({ type: 'private', from: 'alice', to: 'bob', text: 'psst' })
    expect(await inbox).toMatchObject({ from: 'alice', to: 'bob', text: 'psst' })
    expect(await alice.client.listRooms()).toEqual([{ id: 'lobby', userCount: 2 }])
    await expect(alice.client.private('nobody', 'x')).rejects.toMatchObject({ code: 'USER_NOT_FOUND' })
  })

  it('rejects a join with the server error code', async () => {
    const { url } = await startServer(factory)
    await member(url, 'alice')
    const client = testClient(url)
    await expect(client.join('lobby', { username: 'alice' })).rejects.toMatchObject({
      name: 'HubbubError',
      code: 'USERNAME_TAKEN',
    })
    await expect(client.join('bad room!', { username: 'x' })).rejects.toMatchObject({
      code: 'INVALID_MESSAGE',
    })
  })
})
