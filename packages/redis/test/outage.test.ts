import type { GapEvent, Room } from '@hubbub/client'
import type { RoomMessageFrame } from '@hubbub/protocol'
import { afterAll, describe, expect, it, onTestFinished } from 'vitest'
import { WebSocket } from 'ws'
import { faultProxy } from './faultProxy.js'
import { ownRedis, startNode, testClient } from './nodes.js'
import { deletePrefix, REDIS_URL, redisSkipReason, uniquePrefix } from './redisEnv.js'

const prefix = uniquePrefix('outage')

/** What a room showed its app: messages (text, offset), gaps and resets. */
function watch(room: Room) {
  const seen = { messages: [] as RoomMessageFrame[], gaps: [] as GapEvent[], resets: 0 }
  room.on('message', (m) => seen.messages.push(m))
  room.on('gap', (g) => seen.gaps.push(g))
  room.on('reset', () => seen.resets++)
  return seen
}

describe.skipIf(redisSkipReason !== undefined)('a node cut off from Redis', () => {
  afterAll(() => deletePrefix(prefix))

  it('answers UNAVAILABLE, lets members join, and once Redis is back sequences the resent message once and delivers what the other node published meanwhile', async () => {
    const u = new URL(REDIS_URL)
    const proxy = await faultProxy(u.hostname, Number(u.port || 6379))
    const cutOff = await startNode(prefix, { redis: proxy.url })
    const other = await startNode(prefix)
    const ann = await testClient(cutOff.url, { resendUnavailable: 1000 }).join('lobby', { username: 'ann' })
    const bob = await testClient(cutOff.url).join('lobby', { username: 'bob' })
    const dan = await testClient(other.url).join('lobby', { username: 'dan' })
    const bobSaw = watch(bob)
    const danSaw = watch(dan)
    expect((await ann.send('before')).offset).toBe(1)
    await expect.poll(() => bobSaw.messages.length).toBe(1)

    proxy.cut()
    const during = ann.send('during')
    // The first try was refused (the server reports it); the client keeps sending it again.
    await expect.poll(() => cutOff.errors.length, { timeout: 10_000 }).toBeGreaterThan(0)
    // A member joins while Redis is unreachable.
    const carol = await testClient(cutOff.url).join('lobby', { username: 'carol' })
    const carolSaw = watch(carol)
    // The other node still publishes.
    expect((await dan.send('elsewhere')).offset).toBe(2)

    proxy.restore()
    const sent = await during
    expect(sent.text).toBe('during')
    for (const saw of [bobSaw, danSaw]) {
      await expect.poll(() => saw.messages.length, { timeout: 15_000 }).toBe(3)
      expect(saw.messages.map((m) => m.text).sort()).toEqual(['before', 'during', 'elsewhere'])
      expect(saw.messages.map((m) => m.offset)).toEqual([1, 2, 3])
      expect(saw.gaps).toEqual([])
    }
    // Carol joined at the position the node had delivered (1) and gets the rest in order.
    await expect.poll(() => carolSaw.messages.map((m) => m.offset), { timeout: 15_000 }).toEqual([2, 3])
    expect(sent.offset).toBe(bobSaw.messages.find((m) => m.text === 'during')!.offset)
    expect(cutOff.gaps).toEqual([])
  })
})

describe.skipIf(redisSkipReason !== undefined)('a message sent again with the same id', () => {
  it('is sequenced once on a shared log; a new id is a new message', async () => {
    const node = await startNode(prefix)
    const bob = await testClient(node.url).join('resent', { username: 'bob' })
    const bobSaw = watch(bob)
    // A raw connection, to send one frame id twice (as a client resending after UNAVAILABLE does).
    const ws = new WebSocket(node.url, 'hubbub.v1.json')
    onTestFinished(() => ws.close())
    const frames: { type: string; replyTo?: string }[] = []
    ws.on('message', (data) => frames.push(JSON.parse(String(data))))
    await new Promise((resolve) => ws.once('open', resolve))
    ws.send(JSON.stringify({ type: 'join', roomId: 'resent', username: 'ann', id: 'j' }))
    await expect.poll(() => frames.some((f) => f.type === 'joined')).toBe(true)
    const message = { type: 'message', roomId: 'resent', text: 'once' }
    ws.send(JSON.stringify({ ...message, id: 'm1' }))
    ws.send(JSON.stringify({ ...message, id: 'm1' }))
    ws.send(JSON.stringify({ ...message, text: 'twice', id: 'm2' }))
    await expect
      .poll(() => bobSaw.messages.map((m) => [m.text, m.offset]))
      .toEqual([
        ['once', 1],
        ['twice', 2],
      ])
    expect(frames.filter((f) => f.type === 'error')).toEqual([])
  })
})

describe.skipIf(redisSkipReason !== undefined)('a Redis that restarts without its data', () => {
  it('members get ROOM_RESET and left, rejoin into the new epoch, see the loss as a gap, and get what follows once', async () => {
    const redis = await ownRedis()
    const one = await startNode('reset', { redis: redis.url })
    const two = await startNode('reset', { redis: redis.url })
    const ann = await testClient(one.url, { resendUnavailable: 1000 }).join('lobby', { username: 'ann' })
    const bob = await testClient(two.url).join('lobby', { username: 'bob' })
    const annSaw = watch(ann)
    const bobSaw = watch(bob)
    for (const text of ['a', 'b', 'c']) await ann.send(text)
    await expect.poll(() => bobSaw.messages.length).toBe(3)
    const oldEpoch = bob.epoch

    await redis.stop()
    await redis.start()
    // Both nodes find the new epoch when their connections come back, and tell their members.
    for (const saw of [annSaw, bobSaw]) await expect.poll(() => saw.resets, { timeout: 15_000 }).toBe(1)
    const after = await ann.send('after')
    for (const [room, saw] of [
      [ann, annSaw],
      [bob, bobSaw],
    ] as const) {
      await expect.poll(() => saw.messages.length, { timeout: 15_000 }).toBe(4)
      expect(saw.messages.map((m) => [m.text, m.offset])).toEqual([
        ['a', 1],
        ['b', 2],
        ['c', 3],
        ['after', after.offset],
      ])
      expect(room.epoch).not.toBe(oldEpoch)
      expect(saw.gaps).toHaveLength(1)
      expect(saw.gaps[0]).toMatchObject({ reason: 'epoch', previous: { epoch: oldEpoch, offset: 3 } })
      expect(saw.resets).toBe(1)
    }
  })
})
