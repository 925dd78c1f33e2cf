import { connect, type HubbubError } from '@hubbub/client'
import { msgpackWire } from '@hubbub/client/msgpack'
import { type LogPosition, MemoryRoomLog, type OutgoingFrame, type PublishOptions } from '@hubbub/rooms'
import { describe, expect, it, onTestFinished } from 'vitest'
import { WebSocket } from 'ws'
import * as Y from 'yjs'
import { yjsRoom } from '../src/index.js'
import { HubbubYjsProvider } from '../src/provider.js'
import { editor, live, startYjsServer, transports } from './helpers.js'

/**
 * A socket whose incoming frames wait while `gate.closed` and arrive, in order, once it opens: a
 * link slower than the sender, so frames go out before the answers to earlier ones come back.
 */
function gatedWebSocket(gate: { closed: boolean; open(): void }) {
  const queue: (() => void)[] = []
  gate.open = () => {
    gate.closed = false
    for (const deliver of queue.splice(0)) deliver()
  }
  return class GatedWebSocket extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args)
      let handler: ((event: WebSocket.MessageEvent) => void) | null = null
      const base = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'onmessage')!
      Object.defineProperty(this, 'onmessage', {
        get: () => handler,
        set: (fn: typeof handler) => {
          handler = fn
          base.set!.call(this, (event: WebSocket.MessageEvent) => {
            if (gate.closed) queue.push(() => handler?.(event))
            else handler?.(event)
          })
        },
      })
    }
  }
}

/** Lets the event loop turn, so that each edit goes out in a frame of its own. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve))

/** Counts the `yjs_sync` frames a client sends from now on. */
function countSyncFrames(client: { send(frame: never): string | undefined }): () => number {
  let n = 0
  const send = client.send.bind(client)
  client.send = (frame: never) => {
    if ((frame as { type: string }).type === 'yjs_sync') n++
    return send(frame)
  }
  return () => n
}

/** An in-memory log that cannot sequence the next `failures` Yjs updates (as a shared log that is down). */
class FlakyLog extends MemoryRoomLog {
  failures = 0
  override publish(roomId: string, frame: OutgoingFrame, options?: PublishOptions): LogPosition {
    if (frame.type === 'yjs_update' && this.failures > 0) {
      this.failures--
      throw new Error('log unreachable')
    }
    return super.publish(roomId, frame, options)
  }
}

describe.each(transports)('refused updates over $name', ({ factory }) => {
  it.each([{ updatesPerSecond: 2, updateBurst: 2 }])(
    'a burst over the per-user rate ($updatesPerSecond/s, burst $updateBurst) reaches every other editor and the room, without a reconnect',
    async (limits) => {
      const { behaviour, url } = await startYjsServer(factory, limits)
      const a = editor(url, 'doc', 'ann')
      const b = editor(url, 'doc', 'bob')
      const c = editor(url, 'doc', 'cy')
      for (const e of [a, b, c]) await expect.poll(() => e.provider.synced, live).toBe(true)
      const connections = [a, b].map((e) => e.client.welcome!.connectionId)
      const reconnects: unknown[] = []
      const limited: HubbubError[] = []
      const reported: HubbubError[] = []
      for (const e of [a, b]) {
        e.client.on('reconnecting', (r) => reconnects.push(r))
        e.client.on('error', (err) => err.code === 'RATE_LIMITED' && limited.push(err))
        e.provider.on('error', (err) => reported.push(err))
      }
      // Two users type 20 keystrokes each at once, one frame per keystroke: far over 2 updates/s.
      for (let i = 0; i < 20; i++) {
        a.doc.getText('text').insert(a.text().length, 'a')
        b.doc.getText('text').insert(0, 'b')
        await turn()
      }
      const room = () => behaviour.rooms.get('doc')?.text()
      await expect.poll(() => room(), { timeout: 30_000 }).toMatch(/^(?=(?:[^a]*a){20}[^a]*$)[ab]{40}$/)
      for (const e of [a, b, c]) await expect.poll(() => e.text(), live).toBe(room())
      for (const e of [a, b]) await expect.poll(() => e.provider.unconfirmed, live).toBe(0)
      // The limit did bite, and nothing was recovered through a reconnect's resync.
      expect(limited.length).toBeGreaterThan(0)
      expect(limited.every((err) => err.replyTo !== undefined)).toBe(true)
      expect(reconnects).toEqual([])
      expect(reported).toEqual([])
      expect([a, b].map((e) => e.client.welcome!.connectionId)).toEqual(connections)
    },
    60_000,
  )

  it('updates sent before a refusal came back, refused for building on the refused one, are held with it', async () => {
    // The room refuses ann's next update once (as its rate limit would); the ones after it are then
    // refused by the room's own check, for a gap, since they build on the refused one.
    const inner = yjsRoom()
    let refuseNext = false
    let annUpdates = 0
    const rooms = {
      ...inner,
      onMessage: (ctx: any, message: any, state: any) => {
        if (message.type === 'yjs_sync' && message.data[0] === 2 && ctx.user?.name === 'ann') {
          annUpdates++
          if (refuseNext) {
            refuseNext = false
            ctx.reject('RATE_LIMITED', 'refused once by the test')
            return
          }
        }
        return inner.onMessage!(ctx, message, state)
      },
    }
    const { url } = await startYjsServer(factory, {}, { rooms: rooms as never })
    const gate = { closed: false, open() {} }
    const client = connect(url, { WebSocket: gatedWebSocket(gate) as never, wire: msgpackWire })
    onTestFinished(() => client.close())
    const doc = new Y.Doc()
    const a = new HubbubYjsProvider(client, 'doc', doc, { username: 'ann' })
    onTestFinished(() => a.destroy())
    const b = editor(url, 'doc', 'bob')
    for (const p of [a, b.provider]) await expect.poll(() => p.synced, live).toBe(true)
    const reported: HubbubError[] = []
    a.on('error', (err) => reported.push(err))
    const gaps: HubbubError[] = []
    client.on('error', (err) => err.code === 'INVALID_MESSAGE' && gaps.push(err))

    gate.closed = true
    refuseNext = true
    for (const part of ['one ', 'two ', 'three']) {
      doc.getText('text').insert(doc.getText('text').length, part)
      await turn()
    }
    // All three reached the room before ann heard of the first refusal.
    await expect.poll(() => annUpdates, live).toBe(3)
    gate.open()
    await expect.poll(() => b.text(), live).toBe('one two three')
    expect(inner.rooms.get('doc')?.text()).toBe('one two three')
    await expect.poll(() => a.unconfirmed, live).toBe(0)
    expect(gaps.length).toBe(2)
    expect(reported).toEqual([])
  })

  it('an update the log could not sequence (UNAVAILABLE) is sent again and reaches the others', async () => {
    const log = new FlakyLog({ size: 1000, retain: true })
    const { behaviour, url } = await startYjsServer(factory, {}, { log })
    const a = editor(url, 'doc', 'ann')
    const b = editor(url, 'doc', 'bob')
    for (const e of [a, b]) await expect.poll(() => e.provider.synced, live).toBe(true)
    const unavailable: HubbubError[] = []
    a.client.on('error', (err) => err.code === 'UNAVAILABLE' && unavailable.push(err))
    log.failures = 2
    a.doc.getText('text').insert(0, 'kept')
    // The room's document took it, but nobody got it until the resend was sequenced.
    await expect.poll(() => b.text(), live).toBe('kept')
    expect(unavailable.length).toBeGreaterThan(0)
    expect(behaviour.rooms.get('doc')?.text()).toBe('kept')
    await expect.poll(() => a.provider.unconfirmed, live).toBe(0)
    expect(a.provider.status).toBe('connected')
  })

  it('an update refused for good is reported once as an error, and not sent again until a resync', async () => {
    const { server, behaviour, url } = await startYjsServer(factory, { maxUpdateBytes: 300 })
    const a = editor(url, 'doc', 'ann')
    const b = editor(url, 'doc', 'bob')
    for (const e of [a, b]) await expect.poll(() => e.provider.synced, live).toBe(true)
    const errors: HubbubError[] = []
    a.provider.on('error', (err) => errors.push(err))
    const frames = countSyncFrames(a.client as never)
    /** A round trip: an edit of bob's has reached ann, so whatever ann sent before it was answered. */
    let marks = 0
    const roundTrip = async () => {
      const mark = ++marks
      b.doc.getMap('marks').set('n', mark)
      await expect.poll(() => a.doc.getMap('marks').get('n'), live).toBe(mark)
    }
    a.doc.getText('text').insert(0, 'x'.repeat(1000))
    await expect.poll(() => errors.length, live).toBe(1)
    expect(errors[0]).toMatchObject({ code: 'INVALID_MESSAGE' })
    expect(errors[0]!.message).toMatch(/over the room's limit of 300/)
    // A later edit continues the refused one's clocks: the room would refuse it too. It waits.
    a.doc.getMap('meta').set('title', 'notes')
    await roundTrip()
    await roundTrip()
    expect(frames()).toBe(1)
    expect(errors).toHaveLength(1)
    expect(a.provider.unconfirmed).toBe(2) // the refused one and the one behind it
    // A resync offers both again (step 1, then step 2): refused again, once, and then quiet.
    server.terminate(a.client.welcome!.connectionId)
    await expect.poll(() => errors.length, live).toBe(2)
    await roundTrip()
    expect(frames()).toBe(3)
    expect(errors).toHaveLength(2)
    expect(b.text()).toBe('')
    expect(b.doc.getMap('meta').get('title')).toBeUndefined()
    expect(behaviour.rooms.get('doc')?.text()).toBe('')
  })
})

describe.each(transports)('awareness while offline over $name', ({ factory }) => {
  it('drops the other users’ states when the link goes down, and gets them back with the resync', async () => {
    const { server, url } = await startYjsServer(factory)
    const a = editor(url, 'doc', 'ann')
    const b = editor(url, 'doc', 'bob')
    for (const e of [a, b]) await expect.poll(() => e.provider.synced, live).toBe(true)
    a.awareness.setLocalStateField('user', { name: 'ann' })
    b.awareness.setLocalStateField('user', { name: 'bob' })
    await expect
      .poll(() => a.awareness.getStates().get(b.doc.clientID), live)
      .toEqual({ user: { name: 'bob' } })
    // Each removal of a state, with the provider's status when it happened.
    const removed: { id: number; status: string; local: unknown }[] = []
    a.awareness.on('change', (changes: { removed: number[] }) => {
      for (const id of changes.removed)
        removed.push({ id, status: a.provider.status, local: a.awareness.getLocalState() })
    })
    server.terminate(a.client.welcome!.connectionId)
    // Removed at once on the disconnect (not at the Awareness's own 30 s timeout); the own state stays.
    await expect
      .poll(() => removed, live)
      .toEqual([{ id: b.doc.clientID, status: 'disconnected', local: { user: { name: 'ann' } } }])
    await expect.poll(() => a.provider.synced, live).toBe(true)
    await expect
      .poll(() => a.awareness.getStates().get(b.doc.clientID), live)
      .toEqual({ user: { name: 'bob' } })
    // And ann's own state reached bob again after her rejoin.
    await expect
      .poll(() => b.awareness.getStates().get(a.doc.clientID), live)
      .toEqual({ user: { name: 'ann' } })
  })
})
