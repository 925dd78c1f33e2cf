import { describe, expect, it } from 'vitest'
import { HubbubError } from '../src/index.js'
import { next, testClient } from './helpers.js'
import { message, type Peer, scriptedServer } from './scriptedServer.js'

async function joinedRoom(options: { queue?: { max: number }; resendUnavailable?: number } = {}) {
  const server = await scriptedServer()
  const client = testClient(server.url, options)
  const joining = client.join('r', { username: 'me' })
  const peer = await server.nextPeer()
  peer.welcome()
  await peer.acceptJoin({ offset: 0 })
  return { server, client, peer, room: await joining }
}

/** Reads `n` frames and returns them. */
async function read(peer: Peer, n: number) {
  const out = []
  for (let i = 0; i < n; i++) out.push(await peer.next())
  return out
}

describe('sends', () => {
  it('resolves room.send with its own echo, matched in order by content, and rejects on an error reply', async () => {
    const { peer, room } = await joinedRoom()
    const a = room.send('same')
    const b = room.send('same')
    const c = room.send('bad')
    const [fa, fb, fc] = await read(peer, 3)
    expect([fa.text, fb.text, fc.text]).toEqual(['same', 'same', 'bad'])
    // Someone else's identical text must not confirm ours.
    peer.send(message(1, 'same', 'other'), message(2, 'same', 'me'), message(3, 'same', 'me'))
    peer.send({ type: 'error', replyTo: fc.id, code: 'RATE_LIMITED', message: 'slow down' })
    expect((await a).offset).toBe(2)
    expect((await b).offset).toBe(3)
    await expect(c).rejects.toMatchObject({ code: 'RATE_LIMITED' })
  })

  it('queues sends while disconnected, rejects beyond the bound, and flushes them once after the rejoin', async () => {
    const { server, client, peer, room } = await joinedRoom({ queue: { max: 3 } })
    const reconnecting = next(client, 'reconnecting')
    peer.ws.terminate()
    await reconnecting
    const sends = ['q1', 'q2', 'q3'].map((text) => room.send(text))
    const refused = await room.send('q4').catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(HubbubError)
    expect(refused).toMatchObject({ code: 'QUEUE_FULL' })

    const again = await server.nextPeer()
    again.welcome()
    // Nothing may go out before the room is rejoined.
    const join = await again.next()
    expect(join.type).toBe('join')
    expect(again.unread).toEqual([])
    again.send({
      type: 'joined',
      replyTo: join.id,
      roomId: 'r',
      users: ['me'],
      count: 1,
      offset: 0,
      epoch: 'e1',
    })
    const frames = await read(again, 3)
    expect(frames.map((f) => f.text)).toEqual(['q1', 'q2', 'q3'])
    again.send(message(1, 'q1', 'me'), message(2, 'q2', 'me'), message(3, 'q3', 'me'))
    expect((await Promise.all(sends)).map((m) => m.offset)).toEqual([1, 2, 3])
    // A ping round trip proves nothing else was sent meanwhile.
    const rooms = client.listRooms()
    const list = await again.next()
    expect(list.type).toBe('list_rooms')
    again.send({ type: 'room_list', replyTo: list.id, rooms: [] })
    await rooms
  })

  it('does not resend an in-flight send that the recovery shows the server accepted', async () => {
    const { server, peer, room } = await joinedRoom()
    const sent = room.send('in flight')
    await peer.next()
    peer.ws.terminate()
    const again = await server.nextPeer()
    again.welcome()
    await again.acceptJoin({ offset: 1 }, { messages: [message(1, 'in flight', 'me')], recovered: true })
    expect((await sent).offset).toBe(1)
    const after = room.send('after')
    expect(await again.next()).toMatchObject({ type: 'message', text: 'after' })
    again.send(message(2, 'after', 'me'))
    expect((await after).offset).toBe(2)
  })

  it('resends, once, an in-flight send that exact recovery shows the server never sequenced', async () => {
    const { server, peer, room } = await joinedRoom()
    const sent = room.send('lost on the wire')
    await peer.next()
    peer.ws.terminate()
    const again = await server.nextPeer()
    again.welcome()
    await again.acceptJoin({ offset: 0 })
    expect(await again.next()).toMatchObject({ type: 'message', text: 'lost on the wire' })
    again.send(message(1, 'lost on the wire', 'me'))
    expect((await sent).offset).toBe(1)
  })

  it('rejects an in-flight send as DISCONNECTED when recovery failed and its fate is unknown', async () => {
    const { server, peer, room } = await joinedRoom()
    const sent = room.send('unknown fate')
    await peer.next()
    peer.ws.terminate()
    const again = await server.nextPeer()
    again.welcome()
    await again.acceptJoin({ offset: 9, epoch: 'e2' }, { messages: [message(9)], recovered: false })
    await expect(sent).rejects.toMatchObject({ code: 'DISCONNECTED' })
  })

  it('resolves private() with the echo and room.history() with its reply', async () => {
    const { peer, room, client } = await joinedRoom()
    const dm = client.private('ann', 'hi')
    const frame = await peer.next()
    expect(frame).toMatchObject({ type: 'private', to: 'ann', text: 'hi' })
    const echoed = next(client, 'private')
    peer.send({ type: 'private', replyTo: frame.id, from: 'me', to: 'ann', text: 'hi', timestamp: 5 })
    expect(await dm).toMatchObject({ from: 'me', to: 'ann', timestamp: 5 })
    expect(await echoed).toMatchObject({ from: 'me', text: 'hi' })
    const history = room.history(2)
    const get = await peer.next()
    expect(get).toMatchObject({ type: 'get_history', roomId: 'r', limit: 2 })
    peer.send({ type: 'history', replyTo: get.id, roomId: 'r', messages: [message(1)] })
    expect((await history).map((m) => m.offset)).toEqual([1])
  })

  it('leaves a room: sends after leave reject NOT_IN_ROOM and the room is not rejoined', async () => {
    const { server, peer, room, client } = await joinedRoom()
    const leaving = room.leave()
    const leave = await peer.next()
    expect(leave).toMatchObject({ type: 'leave', roomId: 'r' })
    peer.send({ type: 'left', replyTo: leave.id, roomId: 'r' })
    await leaving
    expect(client.rooms.size).toBe(0)
    await expect(room.send('x')).rejects.toMatchObject({ code: 'NOT_IN_ROOM' })
    peer.ws.terminate()
    const again = await server.nextPeer()
    again.welcome()
    // The first frame after the welcome is our own request, not a join of the left room.
    const rooms = client.listRooms()
    const list = await again.next()
    expect(list.type).toBe('list_rooms')
    again.send({ type: 'room_list', replyTo: list.id, rooms: [] })
    expect(await rooms).toEqual([])
  })

  it('send returns the frame id, and an error about that frame carries it as replyTo', async () => {
    const { client, peer } = await joinedRoom()
    const first = client.send({ type: 'blob', roomId: 'r' } as never)
    const second = client.send({ type: 'blob', roomId: 'r' } as never)
    const [f1, f2] = await read(peer, 2)
    expect([first, second]).toEqual([f1.id, f2.id])
    expect(first).not.toBe(second)
    const refused = next<HubbubError>(client, 'error')
    peer.send({ type: 'error', replyTo: f2.id, code: 'RATE_LIMITED', message: 'slow down' })
    expect(await refused).toMatchObject({ code: 'RATE_LIMITED', replyTo: second })
  })
})

describe('frame ids', () => {
  it('start with 16 random characters of the client, then a counter: unique per user across clients', async () => {
    const one = await joinedRoom()
    const two = await joinedRoom()
    const blob = { type: 'blob', roomId: 'r' } as never
    const ids = [one.client.send(blob)!, one.client.send(blob)!, two.client.send(blob)!]
    for (const id of ids) expect(id.length).toBeGreaterThanOrEqual(17)
    expect(ids[0]!.slice(0, 16)).toBe(ids[1]!.slice(0, 16))
    expect(ids[0]!.slice(0, 16)).not.toBe(ids[2]!.slice(0, 16))
    expect(new Set(ids).size).toBe(3)
  })

  it('a request answered UNAVAILABLE goes out again with the same id on the next connection', async () => {
    const { server, client, peer } = await joinedRoom()
    const asking = client.request({ type: 'blob', roomId: 'r' } as never)
    const first = await peer.next()
    expect(first.id).toMatch(/^.{16}/)
    const rooms = client.listRooms()
    const list = await peer.next()
    expect(list.type).toBe('list_rooms')
    peer.send({ type: 'error', code: 'UNAVAILABLE', message: 'moving', replyTo: first.id })
    // Answered after the error: once the list is in, the client has read the error too.
    peer.send({ type: 'room_list', replyTo: list.id, rooms: [] })
    await rooms
    const reconnecting = next(client, 'reconnecting')
    // The link drops before the resend: the client reconnects (maybe to another node) and sends it again.
    peer.ws.terminate()
    await reconnecting
    const again = await server.nextPeer()
    again.welcome()
    const frames = await read(again, 2)
    const resent = frames.find((f) => f.type === 'blob')
    expect(resent).toEqual(first)
    again.send({ type: 'blobbed', replyTo: first.id })
    expect(await asking).toMatchObject({ type: 'blobbed' })
  })
})

describe('a shared log that is unavailable or reset', () => {
  it('sends a message answered UNAVAILABLE again with the same id, and rejects after resendUnavailable tries', async () => {
    const { peer, room } = await joinedRoom({ resendUnavailable: 2 })
    const sending = room.send('hello')
    const first = await peer.next()
    peer.send({ type: 'error', code: 'UNAVAILABLE', message: 'down', replyTo: first.id })
    const second = await peer.next()
    expect(second).toEqual(first)
    // Sequenced this time: its echo answers it.
    peer.send({ ...message(1, 'hello', 'me'), replyTo: undefined })
    expect((await sending).offset).toBe(1)

    const failing = room.send('again')
    for (let i = 0; i < 3; i++) {
      const f = await peer.next()
      expect(f).toMatchObject({ type: 'message', text: 'again' })
      peer.send({ type: 'error', code: 'UNAVAILABLE', message: 'down', replyTo: f.id })
    }
    await expect(failing).rejects.toMatchObject({ code: 'UNAVAILABLE' })
  })

  it('on ROOM_RESET and left: emits reset, rejoins, and reports the loss as an epoch gap', async () => {
    const { peer, room, client } = await joinedRoom()
    const resets: unknown[] = []
    const gaps: unknown[] = []
    room.on('reset', (r) => resets.push(r))
    room.on('gap', (g) => gaps.push(g))
    const errors: unknown[] = []
    client.on('error', (e) => errors.push(e))
    peer.send(message(1), message(2))
    await expect.poll(() => room.offset).toBe(2)
    peer.send({ type: 'error', code: 'ROOM_RESET', message: 'lost' }, { type: 'left', roomId: 'r' })
    const join = await peer.acceptJoin(
      { offset: 1, epoch: 'e2' },
      { messages: [message(1, 'new')], recovered: false },
    )
    expect(join.since).toEqual({ epoch: 'e1', offset: 2 })
    expect(resets).toEqual([{ roomId: 'r', epoch: 'e1', offset: 2 }])
    await expect.poll(() => room.epoch).toBe('e2')
    await expect.poll(() => gaps).toHaveLength(1)
    expect(gaps[0]).toMatchObject({ reason: 'epoch', previous: { epoch: 'e1', offset: 2 } })
    expect(errors).toEqual([])
  })
})
