import { schemas } from '@hubbub/protocol'
import { defineRoom } from '@hubbub/rooms'
import { describe, expect, it } from 'vitest'
import type { RoomResyncEvent } from '../src/index.js'
import { testClient } from './helpers.js'
import { startServer, transports } from './realServer.js'

// A room that says what a placement layer says when an owned room changes node: `room_resync`, then
// its state again. (The real failover, with nodes on Redis, is in apps/game-demo/test/redisNodes.test.ts.)
const Moving = defineRoom({
  name: 'moving',
  placement: 'shared',
  messages: { move: schemas.client.typing.pick({ isTyping: true }) },
  onMessage: (ctx: any) => {
    ctx.broadcast({ type: 'room_resync', roomId: ctx.roomId, fence: 2 })
    ctx.broadcast({ type: 'state', roomId: ctx.roomId, n: 7 })
  },
} as never)

describe.each(transports)('room_resync over $name', ({ factory }) => {
  it('is the room’s typed room_resync event, before the state that follows, and not a custom frame', async () => {
    const { url } = await startServer(factory, { rooms: [{ match: /^g:/, behaviour: Moving }] })
    const client = testClient(url, { customTypes: ['state'] })
    const room = await client.join('g:1', { username: 'ann' })
    const seen: string[] = []
    const resyncs: RoomResyncEvent[] = []
    room.on('room_resync', (e) => {
      resyncs.push(e)
      seen.push(`resync ${e.fence}`)
    })
    room.on('custom', (f) => void seen.push(`room custom ${(f as { type: string }).type}`))
    client.on('custom', (f) => void seen.push(`client custom ${(f as { type: string }).type}`))
    ;(client as unknown as { send(f: object): void }).send({ type: 'move', roomId: 'g:1', isTyping: true })
    await expect.poll(() => seen.length).toBe(3)
    expect(seen).toEqual(['resync 2', 'room custom state', 'client custom state'])
    expect(resyncs).toEqual([{ type: 'room_resync', roomId: 'g:1', fence: 2 }])
  })
})
