import { afterAll, describe, expect, onTestFinished, test } from 'vitest'
import { WebSocket } from 'ws'
import { type Frame, placementNodes, redisClient, settle } from './placementNodes.js'
import { deletePrefix, redisSkipReason, uniquePrefix } from './redisEnv.js'

const prefix = uniquePrefix('placement')
/** Short leases (1 s, renewed every 0.3 s), so a killed owner's rooms move within a few seconds; waits stay generous for a busy machine. */
const { inProcessNode, childNode, lease } = placementNodes(prefix)

/** A raw protocol client: every frame it receives, in order. */
async function member(port: number, name: string, roomId: string) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, 'hubbub.v1.json')
  const frames: Frame[] = []
  ws.on('message', (data) => frames.push(JSON.parse(String(data)) as Frame))
  onTestFinished(() => ws.close())
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  let id = 0
  const send = (frame: Record<string, unknown>): string => {
    const frameId = `${name}-${++id}`
    ws.send(JSON.stringify({ ...frame, id: frameId }))
    return frameId
  }
  send({ type: 'join', roomId, username: name })
  await expect.poll(() => frames.some((f) => f.type === 'joined'), settle).toBe(true)
  const states = () => frames.filter((f) => f.type === 'state').map((f) => `${f.moves}:${f.count}`)
  // Synced once the room's state reached it (its onSync runs on the owner after the join).
  await expect.poll(() => states().length, settle).toBeGreaterThan(0)
  /** Sends one move until the owner acknowledges it (a move refused as `UNAVAILABLE` is sent again). */
  const move = async (n: number): Promise<void> => {
    for (;;) {
      const frameId = send({ type: 'add', roomId, n })
      const answer = await expect
        .poll(
          () => frames.find((f) => f.replyTo === frameId && (f.type === 'ack' || f.type === 'error')),
          settle,
        )
        .toBeDefined()
        .then(() => frames.find((f) => f.replyTo === frameId)!)
      if (answer.type === 'ack') return
      expect(answer.code).toBe('UNAVAILABLE')
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  return { frames, states, move, send, ws }
}

describe.skipIf(redisSkipReason !== undefined)('owned rooms placed on one node through Redis', () => {
  afterAll(() => deletePrefix(prefix))

  test('members on three nodes play one owned room and see the same states in the same order', async () => {
    const [a, b, c] = await Promise.all([
      inProcessNode('node-a'),
      inProcessNode('node-b'),
      inProcessNode('node-c'),
    ])
    const roomId = 'game-1'
    const ann = await member(a.port, 'ann', roomId)
    // ann's node needed the room first: it owns it, with the first fence.
    await expect.poll(() => lease(roomId), settle).toBe('1 node-a')
    expect(a.placement.fenceOf(roomId)).toBe(1)
    expect(b.placement.fenceOf(roomId)).toBeUndefined()
    const bob = await member(b.port, 'bob', roomId)
    const cat = await member(c.port, 'cat', roomId)
    for (const m of [ann, bob, cat]) await expect.poll(() => m.states()[0], settle).toBe('0:0')
    const expected: string[] = []
    let count = 0
    for (let k = 1; k <= 10; k++) {
      const n = k % 2 === 0 ? 2 : 3
      await (k % 2 === 0 ? bob : ann).move(n)
      count += n
      expected.push(`${k}:${count}`)
    }
    // Everyone got the initial state once, then every move's state in one order.
    for (const m of [ann, bob, cat]) await expect.poll(() => m.states(), settle).toEqual(['0:0', ...expected])
    expect(b.placement.owned).toEqual([])
    expect(c.placement.owned).toEqual([])
  })

  test('the owner is killed: another node takes the room over with a larger fence, from its snapshot', async () => {
    const roomId = 'game-2'
    const owner = await childNode('node-k')
    const [a, b] = await Promise.all([inProcessNode('node-a2'), inProcessNode('node-b2')])
    // A spectator on the child node makes it the owner.
    await member(owner.port, 'kim', roomId)
    await expect.poll(() => lease(roomId), settle).toBe('1 node-k')
    const ann = await member(a.port, 'ann', roomId)
    const bob = await member(b.port, 'bob', roomId)
    await ann.move(5)
    await bob.move(7)
    for (const m of [ann, bob]) await expect.poll(() => m.states(), settle).toEqual(['0:0', '1:5', '2:12'])

    owner.child.kill('SIGKILL')
    // A move sent while the room has no owner is refused as UNAVAILABLE and sent again until a node
    // with members in the room took the lease over (after it ran out), with the next fence.
    await ann.move(1)
    const holder = (await lease(roomId))!
    expect(holder).toMatch(/^2 node-[ab]2$/)
    const successor = holder.endsWith('node-a2') ? a : b
    expect(successor.placement.fenceOf(roomId)).toBe(2)
    for (const m of [ann, bob]) {
      // Told to resync, then given the state restored from the last snapshot, then the new move.
      await expect.poll(() => m.states().at(-1), settle).toBe('3:13')
      const resync = m.frames.findIndex((f) => f.type === 'room_resync')
      expect(m.frames[resync]).toMatchObject({ roomId, fence: 2 })
      // A node's members that registered with the new owner after ann's move get its state in their sync.
      const after = m.frames
        .slice(resync)
        .filter((f) => f.type === 'state')
        .map((f) => `${f.moves}:${f.count}`)
      expect([['2:12', '3:13'], ['3:13']]).toContainEqual(after)
    }
    // The game goes on on the new owner: no move lost, none applied twice.
    await bob.move(1)
    for (const m of [ann, bob]) await expect.poll(() => m.states().at(-1), settle).toBe('4:14')
    // Every state anyone saw is the one of its move number: no move was lost or applied twice.
    const counts = new Map([
      [0, 0],
      [1, 5],
      [2, 12],
      [3, 13],
      [4, 14],
    ])
    for (const m of [ann, bob]) {
      for (const f of m.frames.filter((f) => f.type === 'state'))
        expect(f.count).toBe(counts.get(f.moves as number))
    }
  }, 60_000)

  test('split brain: an owner paused past its lease resumes and emits nothing; members see one sequence', async () => {
    const roomId = 'game-4'
    // Every message between nodes about the room, in the order Redis published them.
    const heard: { fence?: number; from?: string; t: string }[] = []
    const spy = redisClient()
    spy.on('pmessage', (_p: string, _c: string, raw: string) => {
      const m = JSON.parse(raw) as { roomId: string; fence?: number; from?: string; t: string }
      if (m.roomId === roomId) heard.push(m)
    })
    await spy.psubscribe(`${prefix}:placement:node:*`)
    const owner = await childNode('node-s')
    try {
      const [a, b] = await Promise.all([inProcessNode('node-a4'), inProcessNode('node-b4')])
      const kim = await member(owner.port, 'kim', roomId)
      await expect.poll(() => lease(roomId), settle).toBe('1 node-s')
      const ann = await member(a.port, 'ann', roomId)
      const bob = await member(b.port, 'bob', roomId)
      await ann.move(5)
      await bob.move(7)
      for (const m of [kim, ann, bob]) await expect.poll(() => m.states().at(-1), settle).toBe('2:12')
      // The old owner's effects carried its fence: the spy can see them.
      expect(heard.some((m) => m.t === 'deliver' && m.from === 'node-s' && m.fence === 1)).toBe(true)

      // A move the owner will make on its own timer, due while it is paused: it is due as soon as
      // the process resumes (a copy that did not stop, or ignored its lapsed lease, would apply it).
      const laterId = kim.send({ type: 'later', roomId, n: 100, ms: 2000 })
      await expect
        .poll(() => kim.frames.find((f) => f.replyTo === laterId), settle)
        .toMatchObject({ type: 'ack' })
      owner.child.kill('SIGSTOP')
      // ann's move reaches the paused owner (it runs it when it resumes), is refused when the call
      // times out, and is sent again until a node with members took the lease over (fence 2).
      await ann.move(1)
      expect(await lease(roomId)).toMatch(/^2 node-[ab]4$/)
      await bob.move(1)
      for (const m of [ann, bob]) await expect.poll(() => m.states().at(-1), settle).toBe('4:14')

      const resumedAt = heard.length
      owner.child.kill('SIGCONT')
      // The old owner resumes with its stale lease and the calls queued meanwhile: it learns the new
      // owner, tells kim to resync, and kim is registered with the new owner and gets its state.
      await expect
        .poll(() => kim.frames.find((f) => f.type === 'room_resync'), settle)
        .toMatchObject({ roomId, fence: 2 })
      await expect.poll(() => kim.states().at(-1), settle).toBe('4:14')
      await ann.move(2)
      for (const m of [kim, ann, bob]) await expect.poll(() => m.states().at(-1), settle).toBe('5:16')
      // Nothing the old owner sent after it resumed carried its fence: it applied nothing.
      const stale = heard.slice(resumedAt).filter((m) => m.from === 'node-s' || (m.fence ?? 2) < 2)
      expect(stale.filter((m) => m.t !== 'call')).toEqual([])
      // Every state anyone saw is the one of its move number, in order: no move lost or applied twice,
      // and the timer's move died with the old copy (timers are not carried over to a new owner).
      const counts = [0, 5, 12, 13, 14, 16]
      for (const m of [kim, ann, bob]) {
        const seen = m.frames.filter((f) => f.type === 'state')
        for (const f of seen) expect(f.count).toBe(counts[f.moves as number])
        const moves = seen.map((f) => f.moves as number)
        expect(moves).toEqual([...moves].sort((x, y) => x - y))
      }
      for (const m of [ann, bob])
        expect(new Set(m.states())).toEqual(new Set(['0:0', '1:5', '2:12', '3:13', '4:14', '5:16']))
    } finally {
      owner.child.kill('SIGCONT')
      owner.child.kill('SIGKILL')
    }
  }, 90_000)

  test('a frame sent again with its id through a non-owner node gets the first answer, not a second move', async () => {
    const [a, b] = await Promise.all([inProcessNode('node-a5'), inProcessNode('node-b5')])
    const roomId = 'game-5'
    const ann = await member(a.port, 'ann', roomId)
    expect(a.placement.fenceOf(roomId)).toBe(1)
    const bob = await member(b.port, 'bob', roomId)
    // bob's client resends a move whose answer it did not get in time (the owner applied it anyway).
    const add = JSON.stringify({ type: 'add', roomId, n: 4, id: 'bob-again' })
    bob.ws.send(add)
    await expect.poll(() => bob.frames.filter((f) => f.replyTo === 'bob-again').length, settle).toBe(1)
    bob.ws.send(add)
    await expect.poll(() => bob.frames.filter((f) => f.replyTo === 'bob-again').length, settle).toBe(2)
    const answers = bob.frames.filter((f) => f.replyTo === 'bob-again')
    expect(answers).toEqual([answers[0], answers[0]])
    expect(answers[0]).toMatchObject({ type: 'ack', moves: 1 })
    // The next move is the second: the repeat was not applied, and nobody saw a state for it.
    await ann.move(1)
    for (const m of [ann, bob]) await expect.poll(() => m.states(), settle).toEqual(['0:0', '1:4', '2:5'])
  })

  test('a node that loses its lease stops its copy at once: its members are refused until an owner answers', async () => {
    const a = await inProcessNode('node-a3')
    const roomId = 'game-3'
    const ann = await member(a.port, 'ann', roomId)
    await ann.move(2)
    expect(a.placement.fenceOf(roomId)).toBe(1)
    // Someone else holds the lease now (as after a pause longer than its TTL): the next renewal finds it.
    const redis = redisClient()
    await redis.set(`{${prefix}:${roomId}}:lease`, '7 node-gone', 'PX', 60_000)
    await expect.poll(() => a.placement.fenceOf(roomId), settle).toBeUndefined()
    expect(a.placement.owned).toEqual([])
    // The holder does not answer: the move is refused (retryable), never applied by the old copy.
    const id = 'ann-late'
    ann.ws.send(JSON.stringify({ type: 'add', roomId, n: 1, id }))
    await expect
      .poll(() => ann.frames.find((f) => f.replyTo === id), settle)
      .toMatchObject({ type: 'error', code: 'UNAVAILABLE' })
    expect(ann.states().at(-1)).toBe('1:2')
  })
})
