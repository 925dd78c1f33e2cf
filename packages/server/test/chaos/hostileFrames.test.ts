import { Opcode } from '@hubbub/transport/testing'
import { describe, expect, test } from 'vitest'
import WebSocket from 'ws'
import { chaosServer, transports } from './support.js'

/** Per transport, what the misbehaving socket gets (see SECURITY.md and the transport READMEs). */
const expected = {
  ws: { deflateBomb: 1009, fragments: 1008 },
  uws: { deflateBomb: 1006, fragments: 'held' },
} as const

describe.each(transports)('chaos over $name: hostile frames', ({ name, factory }) => {
  const want = expected[name as keyof typeof expected]

  test(`a deflate bomb is cut (${want.deflateBomb}); the others lose nothing`, async () => {
    const s = await chaosServer(factory, { transport: { perMessageDeflate: true } })
    s.startChatter()
    const ws = new WebSocket(s.url, { perMessageDeflate: true })
    ws.on('error', () => {})
    await new Promise((r) => ws.once('open', r))
    expect(ws.extensions).toContain('permessage-deflate')
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)))
    // 16 MB of one letter deflates to a few KB: far past maxPayload (64 KiB) once inflated
    ws.send('a'.repeat(16 * 1024 * 1024))
    expect(await closed).toBe(want.deflateBomb)
    await s.expectUnharmed()
  })

  test(`20,000 unterminated fragments: ${want.fragments === 'held' ? 'held unfinished, nothing delivered' : `close ${want.fragments}`}; the others lose nothing`, async () => {
    const s = await chaosServer(factory)
    s.startChatter()
    const c = await s.raw('fragger')
    const before = c.messages.length
    const frames: Buffer[] = []
    for (let i = 0; i < 20_000; i++) {
      frames.push(Buffer.from([i === 0 ? Opcode.text : Opcode.continuation, 0x81, 1, 2, 3, 4, 0x61 ^ 1]))
    }
    c.sendRaw(Buffer.concat(frames))
    if (want.fragments === 'held') {
      // uWS has no fragment-count limit: 20 KB stays a partial message under maxPayload
      await s.expectUnharmed()
      expect(c.isClosed).toBe(false)
      expect(s.server.connections).toBe(3)
      expect(c.messages.slice(before).every((m) => !String(m.data).includes('"from":"fragger"'))).toBe(true)
    } else {
      expect((await c.closed).code).toBe(want.fragments)
      await s.expectUnharmed()
    }
  })

  test('a ping flood from a client that never reads ends that client only, with one user_left', async () => {
    const s = await chaosServer(factory, { transport: { maxBackpressure: 256 * 1024 } })
    s.startChatter()
    const c = await s.raw('flooder')
    c.pause()
    const ping = { opcode: Opcode.ping, payload: new Uint8Array(100) }
    // write in batches so the client's own socket buffer stays small; stop once the server hangs up
    for (let batch = 0; batch < 200 && !c.socket.destroyed && s.leftCount('flooder') === 0; batch++) {
      const frames: Buffer[] = []
      for (let i = 0; i < 1000; i++) frames.push(Buffer.from(encodePing(ping.payload)))
      if (!c.socket.write(Buffer.concat(frames)))
        await new Promise((r) => c.socket.once('drain', r).once('close', r))
    }
    await s.bob.waitFor((f) => f.type === 'user_left' && f.username === 'flooder', 0, 30_000)
    await s.expectUnharmed()
    expect(s.leftCount('flooder')).toBe(1)
    expect(s.server.connections).toBe(2)
  })
})

function encodePing(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(6 + payload.length)
  out[0] = 0x80 | Opcode.ping
  out[1] = 0x80 | payload.length
  // mask 0: the payload goes as is
  out.set(payload, 6)
  return out
}
