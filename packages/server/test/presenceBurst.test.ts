import { describe, expect, test } from 'vitest'
import { type Frame, startServer, TestClient, transports } from './support/harness.js'

const CLIENTS = 200
const ROOMS = 4

/**
 * One client's picture of a room, built as the client SDK builds it: `joined.users`, then each
 * `presence_diff` applied in order. It also checks each diff against what came before: only the
 * first diff after `joined` may repeat what the snapshot already held (a pending window's
 * users), every later change must be a real one (a join of someone absent, a leave of someone
 * present), and the diff's `count` must be the picture's size once it is applied.
 */
class RoomView {
  readonly users = new Set<string>()
  readonly problems: string[] = []
  #diffs = 0

  constructor(joined: Frame) {
    for (const name of joined.users as string[]) this.users.add(name)
  }

  apply(diff: Frame): void {
    const first = this.#diffs++ === 0
    const joins = diff.joins as string[]
    const leaves = diff.leaves as string[]
    for (const name of leaves) {
      if (joins.includes(name)) this.problems.push(`${name} both joins and leaves in one diff`)
      if (!this.users.delete(name) && !first) this.problems.push(`leave of ${name}, who was not there`)
    }
    for (const name of joins) {
      if (this.users.has(name) && !first) this.problems.push(`join of ${name}, who was there already`)
      this.users.add(name)
    }
    if (diff.count !== this.users.size)
      this.problems.push(`count ${diff.count} after a diff, but ${this.users.size} users known`)
  }
}

/** The view a client holds of its room, from the frames it has received so far. */
function viewOf(client: TestClient, roomId: string): RoomView | undefined {
  let view: RoomView | undefined
  for (const f of client.frames) {
    if (f.roomId !== roomId) continue
    if (f.type === 'joined') view = new RoomView(f)
    else if (f.type === 'presence_diff') view?.apply(f)
    else if (f.type === 'left') view = undefined
  }
  return view
}

describe.each(transports)('a burst of joins and leaves over $name', ({ factory }) => {
  test('every member ends with the room’s exact users; no change lost or told twice while windows grow', async () => {
    // A short base window that grows during the burst: many windows open and close while it lasts.
    const { url, server } = await startServer(factory, {
      presenceBatchMs: 2,
      presenceBatchMaxMs: 80,
      presenceGraceMs: 0,
    })
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => TestClient.connect(url)))
    const roomOf = (i: number) => `r${i % ROOMS}`
    const name = (i: number) => `u${i}`
    // Every fifth client leaves as soon as its join is answered (half with `leave`, half by
    // closing its socket), every tenth-plus-one leaves and joins again: all while the others join.
    const leaves = (i: number) => i % 5 === 0
    const rejoins = (i: number) => i % 10 === 1
    await Promise.all(
      clients.map(async (c, i) => {
        expect(await c.join(roomOf(i), name(i))).toMatchObject({ type: 'joined' })
        if (leaves(i)) {
          if (i % 2 === 0)
            expect(await c.request({ type: 'leave', roomId: roomOf(i) })).toMatchObject({ type: 'left' })
          else c.close()
        } else if (rejoins(i)) {
          expect(await c.request({ type: 'leave', roomId: roomOf(i) })).toMatchObject({ type: 'left' })
          expect(await c.join(roomOf(i), name(i))).toMatchObject({ type: 'joined' })
        }
      }),
    )
    const stays = clients.flatMap((c, i) => (leaves(i) ? [] : [{ c, i }]))
    const expected = (roomId: string) =>
      stays
        .filter(({ i }) => roomOf(i) === roomId)
        .map(({ i }) => name(i))
        .sort()
    // The server's own lists are the expected ones.
    for (let r = 0; r < ROOMS; r++) {
      await expect
        .poll(async () => (await server.rooms.env.presence.list(`r${r}`, 1000)).users.slice().sort())
        .toEqual(expected(`r${r}`))
    }
    // Every remaining member's view converges on its room's exact list, once the last windows close.
    await expect
      .poll(
        () =>
          stays.filter(({ c, i }) => {
            const users = viewOf(c, roomOf(i))?.users
            return users === undefined || [...users].sort().join() !== expected(roomOf(i)).join()
          }).length,
        { timeout: 15_000 },
      )
      .toBe(0)
    for (const { c, i } of stays) expect(viewOf(c, roomOf(i))!.problems).toEqual([])
  })
})
