import { describe, expect, test } from 'vitest'
import { type LogResetListener, MemoryRoomLog } from '../src/index.js'
import { setup } from './roomNode.js'

/** A memory log that can lose a room's data on demand, as a shared store can. */
class LosingLog extends MemoryRoomLog {
  listeners: LogResetListener[] = []
  onReset(listener: LogResetListener): () => void {
    this.listeners.push(listener)
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener)
    }
  }
  lose(roomId: string): void {
    for (const l of this.listeners) l(roomId, 'new-epoch')
  }
}

describe('a room whose log lost its data', () => {
  test('drops every local member at once, tells each ROOM_RESET, and delivers them nothing more until they join again', async () => {
    const log = new LosingLog()
    const node = await setup({ log })
    const ann = await node.member('ann')
    const bob = await node.member('bob')
    await node.manager.join('r', { member: ann })
    await node.manager.join('r', { member: bob })
    node.manager.cast('r', { type: 'message', member: ann, text: 'before' })
    await expect.poll(() => bob.frames.filter((f) => f.type === 'message').length).toBe(1)

    log.lose('r')
    expect(ann.lost).toEqual(['r:ROOM_RESET'])
    expect(bob.lost).toEqual(['r:ROOM_RESET'])
    // Published after the loss: it reaches no member of the old epoch.
    log.publish('r', { type: 'message', roomId: 'r', from: 'x', text: 'after', timestamp: 1 })
    const ref = node.manager.whereis('r')!
    expect(ref).toBeDefined()
    // Joining again works, and the member gets what follows.
    await node.manager.join('r', { member: ann })
    node.manager.cast('r', { type: 'message', member: ann, text: 'again' })
    await expect
      .poll(() => ann.frames.filter((f) => f.type === 'message').map((f) => f.text))
      .toEqual(['before', 'again'])
    expect(bob.frames.filter((f) => f.type === 'message').map((f) => f.text)).toEqual(['before'])
  })
})
