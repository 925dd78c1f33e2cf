import { MemoryRoomLog } from '@hubbub/rooms'
import { createServer } from '@hubbub/server'
import { wsTransport } from '@hubbub/transport-ws'
import { describe, expect, it, onTestFinished } from 'vitest'
import type { Room } from '../src/index.js'
import { record, testClient, until } from './helpers.js'

/** A server on its own port: one node. Nodes given the same log serve one room together. */
async function node(log: MemoryRoomLog) {
  const server = createServer({ transport: wsTransport, auth: { anonymous: true }, heartbeatMs: 0, log })
  onTestFinished(() => server.close({ graceMs: 500 }))
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' })
  return `ws://127.0.0.1:${port}/ws`
}

describe('two servers on one room log (two nodes), real clients', () => {
  it('every client sees one order; a client joining mid-stream gets no gap and no duplicate', async () => {
    const log = new MemoryRoomLog({ size: 1000 })
    const [a, b] = await Promise.all([node(log), node(log)])
    const ann = await testClient(a).join('lobby', { username: 'ann' })
    const bob = await testClient(b).join('lobby', { username: 'bob' })
    // Offsets each room delivers, and its gaps (none are allowed).
    const seen = new Map<Room, number[]>()
    const gaps: unknown[][] = []
    const watch = (room: Room) => {
      seen.set(room, [])
      gaps.push(record(room, 'gap'))
      room.on('message', (m) => seen.get(room)!.push(m.offset))
    }
    const offsets = (room: Room) => seen.get(room)!
    watch(ann)
    watch(bob)

    const perNode = 40
    const sends: Promise<unknown>[] = []
    let cat: Room | undefined
    for (let i = 0; i < perNode; i++) {
      sends.push(ann.send(`ann ${i}`), bob.send(`bob ${i}`))
      if (i === perNode / 2) {
        // Joins node b while both nodes keep publishing.
        const joining = testClient(b).join('lobby', { username: 'cat' })
        sends.push(
          joining.then((room) => {
            cat = room
            watch(room)
          }),
        )
      }
    }
    await Promise.all(sends)
    const total = 2 * perNode
    await until(ann, ['message'], () => ann.offset === total)
    await until(bob, ['message'], () => bob.offset === total)
    await until(cat!, ['message'], () => cat!.offset === total)

    const all = Array.from({ length: total }, (_, i) => i + 1)
    expect(offsets(ann)).toEqual(all)
    expect(offsets(bob)).toEqual(all)
    // The joiner: what came with the join, then every later message once, in order.
    const backlog = cat!.backlog.map((m) => m.offset)
    const after = offsets(cat!)
    expect([...backlog, ...after]).toEqual(all.slice(all.length - backlog.length - after.length))
    expect(after.at(-1)).toBe(total)
    expect(new Set([...backlog, ...after]).size).toBe(backlog.length + after.length)
    for (const list of gaps) expect(list).toEqual([])
  })
})
