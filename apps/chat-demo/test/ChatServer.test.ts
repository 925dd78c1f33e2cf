import type { ServerFrame } from '@hubbub/protocol'
import { describe, expect, onTestFinished, test } from 'vitest'
import { ChatServer, type InProcessConnection } from '../src/index.js'

/** An in-process client: the frames the server sent it, as objects. */
interface Peer extends InProcessConnection {
  frames: ServerFrame[]
  of<T extends ServerFrame['type']>(type: T): Extract<ServerFrame, { type: T }>[]
}

async function started(): Promise<ChatServer> {
  const chat = new ChatServer({ heartbeatMs: 0, roomGraceMs: 0 })
  await chat.start()
  onTestFinished(() => chat.stop({ graceMs: 500 }))
  return chat
}

async function peer(chat: ChatServer): Promise<Peer> {
  const frames: ServerFrame[] = []
  const conn = await chat.handleConnection((frame) => frames.push(frame))
  return {
    ...conn,
    frames,
    of: (type) => frames.filter((f) => f.type === type) as never,
  }
}

describe('ChatServer in process (no sockets)', () => {
  test('start, isRunning, stop', async () => {
    const chat = new ChatServer()
    expect(chat.isRunning()).toBe(false)
    await chat.start()
    expect(chat.isRunning()).toBe(true)
    expect(chat.port).toBeUndefined()
    await chat.stop()
    expect(chat.isRunning()).toBe(false)
  })

  test('welcome first, then join answers with the members and the connection ref', async () => {
    const chat = await started()
    const ann = await peer(chat)
    expect(ann.frames[0]).toMatchObject({ type: 'welcome', protocol: 1, connectionId: ann.connectionRef })
    await ann.onMessage({ type: 'join', roomId: 'general', username: 'ann', id: 'j1' })
    expect(ann.of('joined')).toEqual([
      expect.objectContaining({ roomId: 'general', users: ['ann'], count: 1, offset: 0, replyTo: 'j1' }),
    ])
  })

  test('a message reaches every member of the room once, the sender included, and nobody outside it', async () => {
    const chat = await started()
    const [ann, bob, cat] = [await peer(chat), await peer(chat), await peer(chat)]
    await ann.onMessage({ type: 'join', roomId: 'general', username: 'ann' })
    await bob.onMessage({ type: 'join', roomId: 'general', username: 'bob' })
    await cat.onMessage({ type: 'join', roomId: 'random', username: 'cat' })
    await ann.onMessage({ type: 'message', roomId: 'general', text: 'hello <b>all</b>' })
    for (const p of [ann, bob]) {
      expect(p.of('message')).toEqual([
        expect.objectContaining({ roomId: 'general', from: 'ann', text: 'hello <b>all</b>', offset: 1 }),
      ])
    }
    expect(cat.of('message')).toEqual([])
  })

  test('join and leave are announced to the other members', async () => {
    const chat = await started()
    const [ann, bob] = [await peer(chat), await peer(chat)]
    await ann.onMessage({ type: 'join', roomId: 'general', username: 'ann' })
    await bob.onMessage({ type: 'join', roomId: 'general', username: 'bob' })
    // The room's presence window (presenceBatchMs) closes on its own: one diff names both joins.
    await expect
      .poll(() => ann.of('presence_diff'))
      .toEqual([{ type: 'presence_diff', roomId: 'general', joins: ['ann', 'bob'], leaves: [], count: 2 }])
    expect(bob.of('joined')[0]?.users).toEqual(['ann', 'bob'])
    await bob.onMessage({ type: 'leave', roomId: 'general' })
    expect(bob.of('left')).toEqual([expect.objectContaining({ roomId: 'general' })])
    await expect
      .poll(() => ann.of('presence_diff').at(-1))
      .toEqual({ type: 'presence_diff', roomId: 'general', joins: [], leaves: ['bob'], count: 1 })
  })

  test('a disconnect tells the others the user left', async () => {
    const chat = await started()
    const [ann, bob] = [await peer(chat), await peer(chat)]
    await ann.onMessage({ type: 'join', roomId: 'general', username: 'ann' })
    await bob.onMessage({ type: 'join', roomId: 'general', username: 'bob' })
    await expect.poll(() => ann.of('presence_diff').flatMap((f) => f.joins)).toContain('bob')
    await bob.onDisconnect()
    await expect.poll(() => ann.of('presence_diff').flatMap((f) => f.leaves)).toEqual(['bob'])
    await ann.onMessage({ type: 'list_users', roomId: 'general' })
    expect(ann.of('user_list')).toEqual([expect.objectContaining({ users: ['ann'], count: 1 })])
  })

  test('sending to a room not joined is NOT_IN_ROOM, and the connection stays usable', async () => {
    const chat = await started()
    const ann = await peer(chat)
    await ann.onMessage({ type: 'join', roomId: 'general', username: 'ann' })
    await ann.onMessage({ type: 'message', roomId: 'elsewhere', text: 'hi', id: 'm1' })
    expect(ann.of('error')).toEqual([expect.objectContaining({ code: 'NOT_IN_ROOM', replyTo: 'm1' })])
    await ann.onMessage({ type: 'message', roomId: 'general', text: 'still here' })
    expect(ann.of('message').map((m) => m.text)).toEqual(['still here'])
  })

  test('history on join, typing and private messages through the same core', async () => {
    const chat = await started()
    const [ann, bob] = [await peer(chat), await peer(chat)]
    await ann.onMessage({ type: 'join', roomId: 'general', username: 'ann' })
    await ann.onMessage({ type: 'message', roomId: 'general', text: 'first' })
    await bob.onMessage({ type: 'join', roomId: 'general', username: 'bob' })
    expect(bob.of('history')[0]?.messages.map((m) => m.text)).toEqual(['first'])
    await bob.onMessage({ type: 'typing', roomId: 'general', isTyping: true })
    expect(ann.of('typing')).toEqual([expect.objectContaining({ username: 'bob', isTyping: true })])
    await bob.onMessage({ type: 'private', to: 'ann', text: 'psst' })
    for (const p of [ann, bob]) {
      expect(p.of('private')).toEqual([expect.objectContaining({ from: 'bob', to: 'ann', text: 'psst' })])
    }
  })

  test('stop drains: connections get SERVER_SHUTDOWN', async () => {
    const chat = new ChatServer()
    await chat.start()
    const ann = await peer(chat)
    await chat.stop({ graceMs: 500 })
    expect(ann.of('error')).toEqual([expect.objectContaining({ code: 'SERVER_SHUTDOWN' })])
  })
})
