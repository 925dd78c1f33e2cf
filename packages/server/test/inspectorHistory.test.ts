import { type LogPosition, type LogRead, MemoryRoomLog } from '@hubbub/rooms'
import { wsTransport } from '@hubbub/transport-ws'
import { describe, expect, test } from 'vitest'
import { INSPECTOR_ROOM, inspectorProtocol } from '../src/index.js'
import { FEED_ROOMS } from '../src/inspector/InspectorFeed.js'
import { startServer, TestClient } from './support/harness.js'

const SECRET = 'inspector-history-secret-0123456789'

/** The in-memory log, counting its history reads per room (nothing else changed). */
class CountingLog extends MemoryRoomLog {
  readonly reads = new Map<string, number>()
  override read(roomId: string, options: { since?: LogPosition; limit: number }): LogRead {
    this.reads.set(roomId, (this.reads.get(roomId) ?? 0) + 1)
    return super.read(roomId, options)
  }
  count(roomId: string): number {
    return this.reads.get(roomId) ?? 0
  }
}

describe('the inspector reads each room history once per snapshot', () => {
  test('introspect() and GET /inspector/snapshot read each running room once', async () => {
    const log = new CountingLog({ size: 100 })
    const { url, server, http } = await startServer(wsTransport, {
      log,
      inspector: { secret: SECRET },
      roomGraceMs: 60_000,
    })
    const a = await TestClient.connect(url)
    const rooms = ['r1', 'r2', 'r3']
    for (const r of rooms) await a.join(r, 'ann')
    a.send({ type: 'message', roomId: 'r1', text: 'hello' })
    await a.waitFor((f) => f.type === 'message' && f.roomId === 'r1')
    log.reads.clear()

    const snap = await server.introspect()
    expect(snap.rooms.map((r) => [r.id, r.history]).sort()).toEqual([
      ['r1', 1],
      ['r2', 0],
      ['r3', 0],
    ])
    expect(rooms.map((r) => log.count(r))).toEqual([1, 1, 1])

    const res = await http('/inspector/snapshot', { headers: { authorization: `Bearer ${SECRET}` } })
    expect(res.status).toBe(200)
    expect(rooms.map((r) => log.count(r))).toEqual([2, 2, 2])

    // history: false reads nothing.
    await server.introspect({ history: false })
    expect(rooms.map((r) => log.count(r))).toEqual([2, 2, 2])
  })

  test('the feed reads the history of the rooms it shows, once per snapshot, and of no other room', async () => {
    const log = new CountingLog({ size: 100 })
    const { url } = await startServer(wsTransport, {
      log,
      inspector: { secret: SECRET },
      roomGraceMs: 60_000,
      limits: { ratePerSecond: 1000, rateBurst: 1000 },
    })
    const a = await TestClient.connect(url)
    const b = await TestClient.connect(url)
    const rooms = Array.from({ length: FEED_ROOMS + 5 }, (_, i) => `room-${String(i).padStart(2, '0')}`)
    for (const r of rooms) await a.join(r, 'ann')
    // The busiest rooms are shown first: room-54 (two members) is one of them.
    await b.join('room-54', 'bob')
    await a.barrier()
    log.reads.clear()

    const c = await TestClient.connect(url, { protocols: ['hubbub.v1.json', inspectorProtocol(SECRET)] })
    await c.request({ type: 'join', roomId: INSPECTOR_ROOM })
    const isSnapshot = (f: { type: string; kind?: string }) => f.type === 'inspector' && f.kind === 'snapshot'
    let seen = 0
    for (let k = 0; k < 3; k++) {
      const from = c.frames.findLastIndex(isSnapshot) + 1
      await c.waitFor(isSnapshot, from, 15_000)
      seen++
    }
    const last = c.frames.findLast(isSnapshot)!
    const shown = (last.snapshot.rooms as { id: string; history: number }[]).map((r) => r.id)
    expect(last.snapshot.roomCount).toBe(rooms.length)
    expect(shown).toHaveLength(FEED_ROOMS)
    expect(shown[0]).toBe('room-54')
    expect(last.snapshot.rooms.every((r: { history: unknown }) => r.history === 0)).toBe(true)

    // Each shown room was read once per snapshot received (one more if the next tick has begun).
    for (const id of shown) expect([seen, seen + 1], id).toContain(log.count(id))
    // The rooms the page does not get were not read at all.
    for (const id of rooms.filter((r) => !shown.includes(r))) expect(log.count(id), id).toBe(0)
  })
})
