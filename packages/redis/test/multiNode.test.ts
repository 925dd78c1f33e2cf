import type { RoomMessageFrame } from '@hubbub/protocol'
import { afterAll, describe, expect, it } from 'vitest'
import { expectOneOrder, range, rawJoin, startNode, testClient, watch } from './nodes.js'
import { deletePrefix, redisSkipReason, uniquePrefix } from './redisEnv.js'

const prefix = uniquePrefix('nodes')

describe.skipIf(redisSkipReason !== undefined)('three nodes on one Redis, real sockets', () => {
  afterAll(() => deletePrefix(prefix))

  it('4 publishers on different nodes: every member gets every message once, with the same offsets and order on all nodes', async () => {
    const nodes = await Promise.all([startNode(prefix), startNode(prefix), startNode(prefix)])
    const roomId = 'lobby-concurrent'
    // Two members per node.
    const members = []
    for (let i = 0; i < 6; i++) {
      const room = await testClient(nodes[i % 3]!.url).join(roomId, { username: `u${i}` })
      members.push(watch(room))
    }
    // Publishers u0 (node 0), u1 (node 1), u2 (node 2) and u3 (node 0 again), all at once.
    const perPublisher = 25
    const publishers = members.slice(0, 4)
    const sent = await Promise.all(
      publishers.map(async ({ room }, p) => {
        const echoes: RoomMessageFrame[] = []
        const sends = []
        for (let i = 0; i < perPublisher; i++) sends.push(room.send(`p${p} ${i}`))
        for (const echo of await Promise.all(sends)) echoes.push(echo)
        return echoes
      }),
    )
    await expectOneOrder(members, sent, publishers.length * perPublisher)
    // Each publisher's messages keep its send order.
    for (const p of sent.keys()) {
      const mine = members[0]!.messages.filter((m) => m.from === `u${p}`)
      expect(mine.map((m) => m.text)).toEqual(range(perPublisher).map((i) => `p${p} ${i - 1}`))
    }
    for (const n of nodes) {
      expect(n.gaps).toEqual([])
      expect(n.errors).toEqual([])
    }
  })

  it('a member that comes back on a different node with since recovers exactly what it missed', async () => {
    const nodes = await Promise.all([startNode(prefix), startNode(prefix), startNode(prefix)])
    const roomId = 'lobby-recovery'
    const ann = watch(await testClient(nodes[0].url).join(roomId, { username: 'ann' }))
    const bob = watch(await testClient(nodes[1].url).join(roomId, { username: 'bob' }))
    for (let i = 0; i < 5; i++) await bob.room.send(`before ${i}`)
    await expect.poll(() => ann.messages.length).toBe(5)
    const since = { offset: ann.room.offset, epoch: ann.room.epoch! }
    expect(since.offset).toBe(5)
    await ann.room.leave()
    for (let i = 0; i < 7; i++) await bob.room.send(`missed ${i}`)

    const back = await rawJoin(nodes[2].url, roomId, 'ann', since)
    expect(back.joined).toMatchObject({ roomId, offset: 12, epoch: since.epoch })
    expect(back.history.recovered).toBe(true)
    expect(back.history.messages.map((m: RoomMessageFrame) => [m.offset, m.text])).toEqual(
      range(7).map((i) => [5 + i, `missed ${i - 1}`]),
    )
    // From the third node too, a position from another epoch is not recovered (and says so).
    const other = await rawJoin(nodes[2].url, roomId, 'cat', { offset: 3, epoch: `${since.epoch}-old` })
    expect(other.history.recovered).toBe(false)
  })
})
