import { describe, expect, it } from 'vitest'
import { HubbubError } from '../src/index.js'
import { next, record, testClient, until } from './helpers.js'
import { joinAsMe, message, scriptedServer } from './scriptedServer.js'

describe('delivery against a scripted server', () => {
  it('joins with request ids, then delivers messages once each in offset order and reports jumps as gaps', async () => {
    const server = await scriptedServer()
    const client = testClient(server.url)
    const joining = client.join('r', { username: 'me' })
    const peer = await server.nextPeer()
    expect(peer.protocols).toEqual(['hubbub.v1.json'])
    peer.welcome()
    const join = await peer.acceptJoin(
      { offset: 2, users: ['me', 'ann'] },
      { messages: [message(1), message(2)] },
    )
    expect(join).toMatchObject({ type: 'join', roomId: 'r', username: 'me' })
    expect(join.id).toEqual(expect.any(String))
    expect(join.since).toBeUndefined()
    const room = await joining
    expect(room.backlog.map((m) => m.offset)).toEqual([1, 2])
    expect(room.users).toEqual(['me', 'ann'])

    const messages = record(room, 'message')
    const gaps = record(room, 'gap')
    // Live frames, sent once the join has settled: a duplicate (3), an older offset after a jump (5).
    peer.send(message(2), message(3), message(3), message(6), message(5), message(7))
    await until(room, ['message'], () => room.offset === 7)
    expect(messages.map((m) => m.offset)).toEqual([3, 6, 7])
    expect(gaps).toEqual([{ roomId: 'r', epoch: 'e1', from: 4, to: 5, reason: 'dropped', recovered: false }])
  })

  it('delivers frames that came with the join by the same rule as live ones: arrival order, never sorted', async () => {
    const { joining, peer } = await joinAsMe()
    const join = await peer.next()
    // The same frames as above, sent right behind the join's answer, so that some or all of them
    // reach the client while it holds messages for the caller of join().
    peer.send(
      { type: 'joined', replyTo: join.id, roomId: 'r', users: ['me'], count: 1, offset: 2, epoch: 'e1' },
      { type: 'history', roomId: 'r', messages: [message(1), message(2)] },
      message(2),
      message(3),
      message(3),
      message(6),
      message(5),
      message(7),
    )
    const room = await joining
    const messages = record(room, 'message')
    const gaps = record(room, 'gap')
    await until(room, ['message'], () => room.offset === 7)
    expect(messages.map((m) => m.offset)).toEqual([3, 6, 7])
    expect(gaps).toEqual([{ roomId: 'r', epoch: 'e1', from: 4, to: 5, reason: 'dropped', recovered: false }])
  })

  it('holds messages that arrive with the join until the caller of join() could subscribe', async () => {
    const { joining, peer } = await joinAsMe()
    const join = await peer.next()
    peer.send(
      { type: 'joined', replyTo: join.id, roomId: 'r', users: ['me'], count: 1, offset: 2, epoch: 'e1' },
      { type: 'history', roomId: 'r', messages: [message(1), message(2)] },
      message(3),
    )
    const room = await joining
    const live = await next(room, 'message')
    expect(live.offset).toBe(3)
    expect(room.backlog.map((m) => m.offset)).toEqual([1, 2])
  })

  it('holds messages that reach it before joined (a server that subscribes before it reads its log)', async () => {
    const { joining, peer } = await joinAsMe()
    const join = await peer.next()
    // 2 is also in the history the join answers with; 3 was published after the read.
    peer.send(
      message(2),
      message(3),
      { type: 'joined', replyTo: join.id, roomId: 'r', users: ['me'], count: 1, offset: 2, epoch: 'e1' },
      { type: 'history', roomId: 'r', messages: [message(1), message(2)] },
    )
    const room = await joining
    const messages = record(room, 'message')
    const gaps = record(room, 'gap')
    peer.send(message(4))
    await until(room, ['message'], () => room.offset === 4)
    expect(room.backlog.map((m) => m.offset)).toEqual([1, 2])
    expect(messages.map((m) => m.offset)).toEqual([3, 4])
    expect(gaps).toEqual([])
  })

  it('stops waiting for a join history when another frame of the room comes first', async () => {
    const { joining, peer } = await joinAsMe()
    await peer.acceptJoin({ offset: 5 })
    peer.send(message(6))
    const room = await joining
    expect((await next(room, 'message')).offset).toBe(6)
    expect(room.backlog).toEqual([])
  })

  it('rejoins with since after a server-side terminate and delivers recovered messages before live ones', async () => {
    const { server, client, joining, peer: welcomed } = await joinAsMe()
    let peer = welcomed
    await peer.acceptJoin({ offset: 3, epoch: 'e1' }, { messages: [message(1), message(2), message(3)] })
    const room = await joining
    const messages = record(room, 'message')
    const states = record(client, 'state')

    peer.ws.terminate()
    peer = await server.nextPeer()
    peer.welcome()
    const rejoin = await peer.next()
    expect(rejoin).toMatchObject({
      type: 'join',
      roomId: 'r',
      username: 'me',
      since: { offset: 3, epoch: 'e1' },
    })
    // A live message overtakes the recovery: it must still come after the recovered ones.
    peer.send(
      { type: 'joined', replyTo: rejoin.id, roomId: 'r', users: ['me'], count: 1, offset: 5, epoch: 'e1' },
      message(6),
      { type: 'history', roomId: 'r', messages: [message(4), message(5)], recovered: true },
      message(6),
      message(7),
    )
    await until(room, ['message'], () => room.offset === 7)
    expect(messages.map((m) => m.offset)).toEqual([4, 5, 6, 7])
    expect(states).toEqual(['reconnecting', 'open'])
  })

  it('reports one gap with the lost range when the server answers recovered: false', async () => {
    const { server, joining, peer: welcomed } = await joinAsMe()
    let peer = welcomed
    await peer.acceptJoin({ offset: 2 }, { messages: [message(1), message(2)] })
    const room = await joining
    const events = record(room, 'gap')
    const messages = record(room, 'message')
    room.on('message', (m) => events.push(m))

    peer.ws.terminate()
    peer = await server.nextPeer()
    peer.welcome()
    await peer.acceptJoin({ offset: 60 }, { messages: [message(59), message(60)], recovered: false })
    peer.send(message(61))
    await until(room, ['message'], () => room.offset === 61)
    expect(events[0]).toEqual({
      roomId: 'r',
      epoch: 'e1',
      from: 3,
      to: 58,
      reason: 'expired',
      recovered: false,
    })
    expect(messages.map((m) => m.offset)).toEqual([59, 60, 61])
    expect(events.filter((e) => 'reason' in e)).toHaveLength(1)
  })

  it('reports a gap with recovered: false and the previous position when the epoch changed', async () => {
    const { server, joining, peer: welcomed } = await joinAsMe()
    let peer = welcomed
    await peer.acceptJoin({ offset: 4, epoch: 'old' }, { messages: [message(4)] })
    const room = await joining
    const gap = next(room, 'gap')
    peer.ws.terminate()
    peer = await server.nextPeer()
    peer.welcome()
    await peer.acceptJoin({ offset: 0, epoch: 'new' })
    expect(await gap).toEqual({
      roomId: 'r',
      epoch: 'new',
      from: 1,
      to: 0,
      reason: 'epoch',
      recovered: false,
      previous: { epoch: 'old', offset: 4 },
    })
    peer.send(message(1))
    await next(room, 'message')
    expect(room.epoch).toBe('new')
    expect(room.offset).toBe(1)
  })

  it('rejects a join with a HubbubError carrying the server code', async () => {
    const { client, joining, peer } = await joinAsMe()
    const join = await peer.next()
    peer.send({ type: 'error', replyTo: join.id, code: 'USERNAME_TAKEN', message: 'taken' })
    const error = await joining.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HubbubError)
    expect(error).toMatchObject({ code: 'USERNAME_TAKEN', message: 'taken' })
    expect(client.rooms.has('r')).toBe(false)
  })

  it('retries a rejoin refused with USERNAME_TAKEN (the server has not yet noticed the old connection died)', async () => {
    const { server, joining, peer: welcomed } = await joinAsMe()
    let peer = welcomed
    await peer.acceptJoin({ offset: 0 })
    const room = await joining
    peer.ws.terminate()
    peer = await server.nextPeer()
    peer.welcome()
    const first = await peer.next()
    peer.send({ type: 'error', replyTo: first.id, code: 'USERNAME_TAKEN', message: 'taken' })
    const second = await peer.acceptJoin({ offset: 0 })
    expect(second.since).toEqual({ offset: 0, epoch: 'e1' })
    const sent = room.send('after')
    expect(await peer.next()).toMatchObject({ type: 'message', text: 'after' })
    peer.send(message(1, 'after', 'me'))
    expect((await sent).offset).toBe(1)
  })

  it('keeps one join on the wire: a pending username retry does not add a second join after a reconnect', async () => {
    const { server, client, joining, peer: welcomed } = await joinAsMe()
    let peer = welcomed
    await peer.acceptJoin()
    const room = await joining
    peer.ws.terminate()
    peer = await server.nextPeer()
    peer.welcome()
    const refused = await peer.next()
    peer.send({ type: 'error', replyTo: refused.id, code: 'USERNAME_TAKEN', message: 'taken' })
    // Let the client take the refusal (and schedule its retry, ≥ 125 ms away) before the link drops.
    await new Promise((resolve) => setTimeout(resolve, 30))
    peer.ws.terminate()
    peer = await server.nextPeer()
    peer.welcome()
    await peer.acceptJoin()
    await new Promise((resolve) => setTimeout(resolve, 400)) // past any retry timer of the refused join
    const rooms = client.listRooms()
    const list = await peer.next()
    expect(list.type).toBe('list_rooms')
    peer.send({ type: 'room_list', replyTo: list.id, rooms: [] })
    await rooms
    expect(client.rooms.get('r')).toBe(room)
  })

  it('tracks the member count from presence_count in large rooms', async () => {
    const { joining, peer } = await joinAsMe()
    await peer.acceptJoin({ users: ['me', 'a'] })
    const room = await joining
    const counts = record(room, 'presence_count')
    peer.send({ type: 'presence_count', roomId: 'r', count: 1500 })
    await until(room, ['presence_count'], () => counts.length === 1)
    expect(room.count).toBe(1500)
    expect(room.users).toEqual(['me', 'a'])
  })

  it('answers light frame checks with an INVALID_FRAME error event and keeps going', async () => {
    const server = await scriptedServer()
    const client = testClient(server.url)
    const peer = await server.nextPeer()
    peer.welcome()
    await next(client, 'open')
    const errors = record<HubbubError>(client, 'error')
    peer.ws.send('not json')
    peer.send(
      { type: 'joined', roomId: 'r' },
      { type: 'message', roomId: 'r', from: 'a', text: 1, offset: 1 },
    )
    const rooms = client.listRooms()
    const list = await peer.next()
    peer.send({ type: 'room_list', replyTo: list.id, rooms: [{ id: 'r', userCount: 2 }] })
    expect(await rooms).toEqual([{ id: 'r', userCount: 2 }])
    expect(errors.map((e) => e.code)).toEqual(['INVALID_FRAME', 'INVALID_FRAME', 'INVALID_FRAME'])
  })

  it('stops for good after close 4401 and after 1000', async () => {
    for (const [code, error] of [
      [4401, 'UNAUTHORIZED'],
      [1000, 'CLOSED'],
    ] as const) {
      const server = await scriptedServer()
      const client = testClient(server.url)
      const peer = await server.nextPeer()
      peer.welcome()
      await next(client, 'open')
      const states = record(client, 'state')
      const closed = next(client, 'closed')
      peer.ws.close(code)
      expect(await closed).toMatchObject({ code })
      expect(states).toEqual(['closed'])
      await expect(client.join('r')).rejects.toMatchObject({ code: error })
    }
  })

  it('keeps users current from presence events and diffs them after a rejoin', async () => {
    const { server, joining, peer: welcomed } = await joinAsMe()
    let peer = welcomed
    await peer.acceptJoin({ users: ['me', 'ann'] })
    const room = await joining
    const joined = record(room, 'user_joined')
    const left = record(room, 'user_left')
    peer.send(
      { type: 'user_joined', roomId: 'r', username: 'bob' },
      { type: 'user_left', roomId: 'r', username: 'ann' },
    )
    await until(room, ['users'], () => room.users.length === 2 && room.users.includes('bob'))
    expect(room.users).toEqual(['me', 'bob'])
    peer.ws.terminate()
    peer = await server.nextPeer()
    peer.welcome()
    await peer.acceptJoin({ users: ['me', 'cat'] })
    await until(room, ['users'], () => room.users.includes('cat'))
    expect(joined.map((e) => e.username)).toEqual(['bob', 'cat'])
    expect(left.map((e) => e.username)).toEqual(['ann', 'bob'])
    expect(room.count).toBe(2)
  })

  it('throttles typing: true at most once per interval, false once', async () => {
    const { client, joining, peer } = await joinAsMe({ typingThrottleMs: 60_000 })
    await peer.acceptJoin()
    const room = await joining
    room.typing(true)
    room.typing(true)
    room.typing(true)
    room.typing(false)
    room.typing(false)
    room.typing(true)
    const list = client.listRooms()
    const frames = [await peer.next(), await peer.next(), await peer.next(), await peer.next()]
    expect(frames.map((f) => f.type === 'typing' && f.isTyping)).toEqual([true, false, true, false])
    expect(frames[3].type).toBe('list_rooms')
    peer.send({ type: 'room_list', replyTo: frames[3].id, rooms: [] })
    await list
  })

  it('pings over a real socket and reconnects when the pongs stop', async () => {
    const server = await scriptedServer()
    const client = testClient(server.url)
    const peer = await server.nextPeer()
    // 400 ms: short for the test, long enough that a stalled CI machine does not trip it by itself.
    peer.welcome(400)
    await next(client, 'open')
    // Idle for a heartbeat, the client pings.
    while (peer.pings === 0) await new Promise((resolve) => setTimeout(resolve, 20))
    expect(peer.pings).toBeGreaterThan(0)
    peer.mute = true
    const reconnecting = next(client, 'reconnecting')
    expect(await reconnecting).toMatchObject({ reason: 'heartbeat timeout' })
    expect(await peer.closed).toBe(1006)
    await server.nextPeer()
  })
})

describe('custom frames', () => {
  it('sends app frames, resolves request() by replyTo, and emits custom server frames on the client and room', async () => {
    const server = await scriptedServer()
    const client = testClient(server.url, { customTypes: ['state', 'moved'] }) as any
    const joining = client.join('r', { username: 'me' })
    const peer = await server.nextPeer()
    peer.welcome()
    await peer.acceptJoin()
    const room = await joining
    const onClient = record(client, 'custom')
    const onRoom = record(room, 'custom')
    client.send({ type: 'move', roomId: 'r', cell: 4 })
    expect(await peer.next()).toMatchObject({ type: 'move', roomId: 'r', cell: 4 })
    const asked = client.request({ type: 'move', roomId: 'r', cell: 5 })
    const move = await peer.next()
    peer.send({ type: 'moved', replyTo: move.id, cell: 5 }, { type: 'state', roomId: 'r', board: [1] })
    expect(await asked).toEqual({ type: 'moved', replyTo: move.id, cell: 5 })
    await until(client, ['custom'], () => onClient.length === 1)
    expect(onClient).toEqual([{ type: 'state', roomId: 'r', board: [1] }])
    expect(onRoom).toEqual(onClient)
  })
})
