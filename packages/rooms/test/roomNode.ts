import { ActorSystem, type AnyRef } from '@hubbub/actor'
import { EventBus } from '@hubbub/bus'
import { afterEach } from 'vitest'
import { RoomManager, type RoomManagerOptions, type RoomMember } from '../src/index.js'

export type Frame = { type: string } & Record<string, any>

const systems: ActorSystem[] = []
afterEach(async () => {
  for (const s of systems.splice(0)) await s.shutdown()
})

export type TestMember = RoomMember & { frames: Frame[]; lost: string[] }

/**
 * One node: an actor system, a bus and a room manager (stores from `options`, in memory by
 * default), with members whose topic subscription is a bus subscription (what the server's
 * bridge does) and which record every frame they get.
 */
export async function setup(options: Partial<Omit<RoomManagerOptions, 'system' | 'bus'>> = {}) {
  const system = new ActorSystem({ onError: () => {} })
  systems.push(system)
  const bus = new EventBus<string | Uint8Array>()
  const published: string[] = []
  // Per-user presence frames at once unless a test asks for a window: these suites assert presence
  // change by change; presenceBatch.test.ts covers the batched `presence_diff`.
  const manager = await RoomManager.start({
    system,
    bus,
    emptyGraceMs: 60_000,
    presenceBatchMs: 0,
    ...options,
  })
  const idle = { init: () => null }
  async function member(name: string, key = `anon:${name}`): Promise<TestMember> {
    const frames: Frame[] = []
    const lost: string[] = []
    const subs = new Map<string, { unsubscribe(): void }>()
    const ref: AnyRef = await system.start(idle, undefined)
    return {
      ref,
      key,
      binary: false,
      isClosed: false,
      frames,
      lost,
      user: { name, userId: undefined, orgId: undefined, connectionId: name },
      send: (data) => {
        frames.push(JSON.parse(String(data)))
      },
      subscribe: (topic) => {
        const sub = bus.subscribe(topic, (data) => {
          frames.push(JSON.parse(String(data)))
        })
        subs.set(topic, sub)
      },
      unsubscribe: (topic) => {
        subs.get(topic)?.unsubscribe()
        subs.delete(topic)
      },
      roomLost: (roomId, _room, code) => {
        lost.push(code === undefined ? roomId : `${roomId}:${code}`)
      },
    }
  }
  bus.subscribe('room.#', (data) => {
    published.push(String(data))
  })
  return { system, bus, manager, member, published }
}
