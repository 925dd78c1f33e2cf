import { afterAll, describe, expect, test } from 'vitest'
import { client, placementNodes, settle } from './placementNodes.js'
import { deletePrefix, redisSkipReason, uniquePrefix } from './redisEnv.js'

/**
 * A frame id of 16 characters or more is the user's idempotency key in an owned room: a move whose
 * answer was lost, sent again with the same id from a new connection (the client reconnected,
 * maybe through another node, maybe after the owner died), is applied once and answered the same.
 */

const prefix = uniquePrefix('placement-resend')
const { inProcessNode, childNode, lease } = placementNodes(prefix)

describe.skipIf(redisSkipReason !== undefined)('placement: a resend from a new connection', () => {
  afterAll(() => deletePrefix(prefix))

  test('a move resent with the same long id after reconnecting through another node is applied once', async () => {
    const roomId = 'resend-1'
    const [a, b] = await Promise.all([inProcessNode('node-ra'), inProcessNode('node-rb')])
    const ann = await client(a.port, 'ann', [roomId])
    expect(a.placement.fenceOf(roomId)).toBe(1)
    const bob = await client(b.port, 'bob', [roomId])
    const id = 'Zk3v9QmR2xTb7LpA-1'
    const move = { type: 'add', roomId, n: 4 }
    const first = await bob.answer(move, id)
    expect(first).toMatchObject({ type: 'ack', moves: 1 })
    // bob's link died before the answer reached it: his client reconnects, this time through a, and
    // sends the move again with the same id.
    await bob.close()
    const bob2 = await client(a.port, 'bob', [roomId])
    expect(await bob2.answer(move, id)).toEqual(first)
    // The next move is the second: the resend was not applied again.
    expect(await bob2.answer({ type: 'add', roomId, n: 1 }, 'Zk3v9QmR2xTb7LpA-2')).toMatchObject({
      type: 'ack',
      moves: 2,
    })
    for (const m of [ann, bob2]) await expect.poll(() => m.states(roomId).at(-1), settle).toBe('2:5')
    expect(ann.states(roomId).filter((s) => s !== '0:0')).toEqual(['1:4', '2:5'])
    // Another user's frame with the same id is a frame of its own.
    expect(await ann.answer({ type: 'add', roomId, n: 2 }, id)).toMatchObject({ type: 'ack', moves: 3 })
  }, 60_000)

  test('a short id keeps the per-connection memory: from a new connection it is a new frame', async () => {
    const roomId = 'resend-2'
    const a = await inProcessNode('node-ra2')
    const ann = await client(a.port, 'ann', [roomId])
    expect(await ann.answer({ type: 'add', roomId, n: 1 }, 'm1')).toMatchObject({ moves: 1 })
    // The same connection: answered again, not applied.
    expect(await ann.answer({ type: 'add', roomId, n: 1 }, 'm1')).toMatchObject({ moves: 1 })
    await ann.close()
    const ann2 = await client(a.port, 'ann', [roomId])
    expect(await ann2.answer({ type: 'add', roomId, n: 1 }, 'm1')).toMatchObject({ moves: 2 })
  }, 60_000)

  test('a move acknowledged by an owner that is then killed, resent from a new connection on another node, gets the first answer', async () => {
    const roomId = 'resend-3'
    const owner = await childNode('node-rk')
    const [a, b] = await Promise.all([inProcessNode('node-ra3'), inProcessNode('node-rb3')])
    await client(owner.port, 'kim', [roomId])
    await expect.poll(() => lease(roomId), settle).toBe('1 node-rk')
    const ann = await client(a.port, 'ann', [roomId])
    const bob = await client(b.port, 'bob', [roomId])
    const id = 'q7Hn2Wc8Yd5Ke1Sj-1'
    const move = { type: 'add', roomId, n: 4 }
    const first = await bob.answer(move, id)
    expect(first).toMatchObject({ type: 'ack', moves: 1 })
    for (const m of [ann, bob]) await expect.poll(() => m.states(roomId).at(-1), settle).toBe('1:4')

    // The owner dies, and bob's link with it (as if b held both): bob reconnects through a and resends.
    owner.child.kill('SIGKILL')
    await bob.close()
    const bob2 = await client(a.port, 'bob', [roomId])
    const again = await bob2.answer(move, id)
    expect(await lease(roomId)).toMatch(/^2 node-r[ab]3$/)
    expect(again).toEqual(first)
    expect(await ann.answer({ type: 'add', roomId, n: 1 }, 'v2Mx8Nq4Tr6Lp0Bz-1')).toMatchObject({
      type: 'ack',
      moves: 2,
    })
    for (const m of [ann, bob2]) {
      await expect.poll(() => m.states(roomId).at(-1), settle).toBe('2:5')
      expect(m.states(roomId).filter((s) => s.startsWith('2:'))).toEqual(['2:5'])
    }
  }, 90_000)
})
