import { defineRoom } from '@hubbub/rooms'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { type Client, HubbubError } from '../src/index.js'
import { msgpackWire } from '../src/msgpack.js'
import { next, record, testClient, until } from './helpers.js'
import { startServer, transports } from './realServer.js'

/** Echoes a binary payload back reversed (to the sender) and as it came (to the whole room). */
const Echo = defineRoom({
  name: 'echo',
  messages: { blob: z.object({ data: z.instanceof(Uint8Array) }) },
  onMessage: (ctx, msg) => {
    ctx.reply({ type: 'blob_reversed', data: Uint8Array.from(msg.data).reverse() })
    ctx.broadcast({ type: 'blob_seen', roomId: ctx.roomId, data: msg.data, from: ctx.user?.name ?? '' })
  },
})

const customTypes = ['blob_reversed', 'blob_seen']

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = (i * 7919 + 13) & 0xff
  return out
}

describe.each(transports)('the msgpack wire over $name', ({ factory }) => {
  it('negotiates hubbub.v1.msgpack and speaks chat over binary frames', async () => {
    const { url } = await startServer(factory)
    const ann = testClient(url, { wire: msgpackWire })
    const bob = testClient(url, { wire: msgpackWire })
    const atAnn = await ann.join('lobby', { username: 'ann' })
    const atBob = await bob.join('lobby', { username: 'bob' })
    const heard = record(atBob, 'message')
    const sent = await atAnn.send('hello in msgpack')
    expect(sent).toMatchObject({ type: 'message', from: 'ann', text: 'hello in msgpack', offset: 1 })
    await until(atBob, ['message'], () => heard.length === 1)
    expect(heard[0]).toMatchObject({ from: 'ann', text: 'hello in msgpack', offset: 1 })
  })

  it('round-trips Uint8Array payloads of custom frames as raw bytes (a reply and a room broadcast)', async () => {
    const { url } = await startServer(factory, { rooms: Echo as never })
    const ann = testClient(url, { wire: msgpackWire, customTypes }) as Client
    const bob = testClient(url, { wire: msgpackWire, customTypes }) as Client
    await ann.join('bin', { username: 'ann' })
    await bob.join('bin', { username: 'bob' })
    const data = randomBytes(4096)
    const seen = next(bob, 'custom', (f: { type: string }) => f.type === 'blob_seen')
    const reply = await ann.request<{ type: string; data: Uint8Array }>({
      type: 'blob',
      roomId: 'bin',
      data,
    } as never)
    expect(reply.data).toBeInstanceOf(Uint8Array)
    expect(reply.data.constructor).toBe(Uint8Array)
    expect([...reply.data]).toEqual([...data].reverse())
    const relayed = (await seen) as unknown as { data: Uint8Array; from: string }
    expect(relayed.from).toBe('ann')
    expect(relayed.data).toEqual(data)
  })

  it('sends frames of `typeRates` types binary too (a server on msgpack refuses text)', async () => {
    const { url } = await startServer(factory, { rooms: Echo as never })
    const ann = testClient(url, { wire: msgpackWire, customTypes, typeRates: { blob: 10 } }) as Client
    const bob = testClient(url, { wire: msgpackWire, customTypes }) as Client
    await ann.join('bin', { username: 'ann' })
    await bob.join('bin', { username: 'bob' })
    const data = randomBytes(16)
    const seen = next(bob, 'custom', (f: { type: string }) => f.type === 'blob_seen')
    ann.send({ type: 'blob', roomId: 'bin', data } as never)
    const relayed = (await seen) as unknown as { data: Uint8Array; from: string }
    expect(relayed).toMatchObject({ from: 'ann', data })
  })

  it('a JSON client cannot send bytes: the frame is refused, the connection stays', async () => {
    const { url } = await startServer(factory, { rooms: Echo as never })
    const ann = testClient(url, { customTypes })
    await ann.join('bin', { username: 'ann' })
    const refused = ann.request({ type: 'blob', roomId: 'bin', data: [1, 2, 3] } as never)
    await expect(refused).rejects.toBeInstanceOf(HubbubError)
    await expect(refused).rejects.toMatchObject({ code: 'INVALID_MESSAGE' })
    expect(ann.state).toBe('open')
  })
})
