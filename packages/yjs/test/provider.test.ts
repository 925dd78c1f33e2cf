import { hmacAuth, signToken } from '@hubbub/server'
import { describe, expect, it } from 'vitest'
import { editor, live, startYjsServer, transports } from './helpers.js'

describe.each(transports)('HubbubYjsProvider over $name', ({ factory }) => {
  it('syncs two editors and the room; an edit reaches the sender’s other tab', async () => {
    const secret = 'a test secret that is long enough for HS256'
    const { behaviour, url } = await startYjsServer(factory, {}, { auth: hmacAuth({ secret }) })
    const ann = await signToken(secret, { userId: 'u-ann', name: 'ann' })
    const bob = await signToken(secret, { userId: 'u-bob', name: 'bob' })
    const a = editor(url, 'doc', 'ann', ann)
    const a2 = editor(url, 'doc', 'ann', ann) // the same user in a second tab
    const b = editor(url, 'doc', 'bob', bob)
    for (const e of [a, a2, b]) await expect.poll(() => e.provider.synced, live).toBe(true)
    a.doc.getText('text').insert(0, 'hello')
    await expect.poll(() => a2.text(), live).toBe('hello')
    await expect.poll(() => b.text(), live).toBe('hello')
    b.doc.getText('text').insert(5, ' world')
    for (const e of [a, a2, b]) await expect.poll(() => e.text(), live).toBe('hello world')
    expect(behaviour.rooms.get('doc')?.text()).toBe('hello world')
  })

  it('a late joiner gets the document; awareness states reach the others and expire when their member leaves', async () => {
    const { url } = await startYjsServer(factory)
    const a = editor(url, 'doc', 'ann')
    await expect.poll(() => a.provider.synced, live).toBe(true)
    a.doc.getText('text').insert(0, 'before you came')
    a.awareness.setLocalStateField('user', { name: 'ann', color: '#f00' })
    const b = editor(url, 'doc', 'bob')
    await expect.poll(() => b.text(), live).toBe('before you came')
    await expect
      .poll(() => b.awareness.getStates().get(a.doc.clientID), live)
      .toEqual({ user: { name: 'ann', color: '#f00' } })
    b.awareness.setLocalStateField('cursor', { anchor: 3 })
    await expect
      .poll(() => a.awareness.getStates().get(b.doc.clientID), live)
      .toEqual({ cursor: { anchor: 3 } })
    b.client.close()
    await expect.poll(() => a.awareness.getStates().has(b.doc.clientID), live).toBe(false)
  })

  it('awareness of a member that goes silent expires', async () => {
    const { url } = await startYjsServer(factory, { awarenessTimeoutMs: 300 })
    const a = editor(url, 'doc', 'ann')
    const b = editor(url, 'doc', 'bob')
    for (const e of [a, b]) await expect.poll(() => e.provider.synced, live).toBe(true)
    b.awareness.setLocalState({ here: true })
    // Silent from now on: its Awareness would renew the state every 15 s; stop that timer.
    clearInterval(
      (b.awareness as unknown as { _checkInterval: ReturnType<typeof setInterval> })._checkInterval,
    )
    await expect.poll(() => a.awareness.getStates().get(b.doc.clientID), live).toEqual({ here: true })
    await expect.poll(() => a.awareness.getStates().has(b.doc.clientID), { timeout: 10_000 }).toBe(false)
  })

  it('resyncs after a dropped connection: edits made offline on both sides meet, none twice', async () => {
    const { server, behaviour, url } = await startYjsServer(factory)
    const a = editor(url, 'doc', 'ann')
    const b = editor(url, 'doc', 'bob')
    for (const e of [a, b]) await expect.poll(() => e.provider.synced, live).toBe(true)
    a.doc.getText('text').insert(0, 'abc')
    await expect.poll(() => b.text(), live).toBe('abc')
    server.terminate(a.client.welcome!.connectionId)
    a.doc.getText('text').insert(3, 'A') // made while the link is down
    b.doc.getText('text').insert(0, 'B')
    await expect.poll(() => a.text(), live).toBe('BabcA')
    await expect.poll(() => b.text(), live).toBe('BabcA')
    expect(behaviour.rooms.get('doc')?.text()).toBe('BabcA')
  })
})
