import { spawn } from 'node:child_process'
import { afterAll, describe, expect, onTestFinished, test } from 'vitest'
import { RedisRoomLog } from '../src/RedisRoomLog.js'
import { RedisRoomStateStore } from '../src/RedisRoomStateStore.js'
import { client, placementNodes, redisClient, settle } from './placementNodes.js'
import { deletePrefix, REDIS_URL, redisSkipReason, uniquePrefix } from './redisEnv.js'

/**
 * What placement keeps safe across owners: snapshots saved only with the current fence, answers to
 * client frames that outlive their owner, the members of a dead node leaving, and leases renewed
 * in one script per node while other nodes read no lease at all.
 */

const prefix = uniquePrefix('placement-fences')
const { inProcessNode, childNode, lease } = placementNodes(prefix)

describe.skipIf(redisSkipReason !== undefined)('placement fences, answers and liveness', () => {
  afterAll(() => deletePrefix(prefix))

  test('a snapshot save with a stale fence is refused: the newer owner’s snapshot stays', async () => {
    const store = new RedisRoomStateStore({ redis: REDIS_URL, prefix })
    onTestFinished(() => store.disconnect())
    const redis = redisClient()
    const roomId = 'fenced-1'
    // Owner 1 saves; then owner 2 takes the room (its lease drew fence 2) and saves.
    await redis.set(`{${prefix}:${roomId}}:fence`, '1')
    expect(await store.saveFenced(roomId, 1, { state: { count: 3 }, offset: 3 })).toBe('saved')
    await redis.set(`{${prefix}:${roomId}}:fence`, '2')
    // Owner 1, paused past its lease, resumes with a later offset: refused, with the frame it answered.
    const frame = { key: 'c1 f1', answer: '[]', keep: 16 }
    expect(await store.saveFenced(roomId, 1, { state: { count: 4 }, offset: 4 }, frame)).toBe('stale')
    expect(await store.load(roomId)).toEqual({ state: { count: 3 }, offset: 3 })
    expect(await store.answeredFrames(roomId)).toEqual([])
    expect(await store.saveFenced(roomId, 2, { state: { count: 9 }, offset: 5 }, frame)).toBe('saved')
    expect(await store.answeredFrames(roomId)).toEqual([['c1 f1', '[]']])
    // Even if the fence counter were lost, the snapshot's own fence refuses the older owner.
    await redis.del(`{${prefix}:${roomId}}:fence`)
    expect(await store.saveFenced(roomId, 1, { state: { count: 1 }, offset: 6 })).toBe('stale')
    expect(await store.load(roomId)).toEqual({ state: { count: 9 }, offset: 5 })
    // A snapshot with a lower offset is kept out by the newer one, the frame recorded all the same.
    const later = { key: 'c1 f2', answer: '[1]', keep: 2 }
    expect(await store.saveFenced(roomId, 2, { state: { count: 0 }, offset: 1 }, later)).toBe('kept')
    expect(await store.load(roomId)).toEqual({ state: { count: 9 }, offset: 5 })
    // Only the newest `keep` frames stay.
    await store.saveFenced(roomId, 2, undefined, { key: 'c1 f3', answer: '[2]', keep: 2 })
    expect(await store.answeredFrames(roomId)).toEqual([
      ['c1 f2', '[1]'],
      ['c1 f3', '[2]'],
    ])
  })

  test('a fenced save follows the stores’ epoch rule: a new epoch replaces and retires the old one', async () => {
    const store = new RedisRoomStateStore({ redis: REDIS_URL, prefix })
    onTestFinished(() => store.disconnect())
    const roomId = 'fenced-epochs'
    expect(await store.saveFenced(roomId, 1, { state: { n: 1 }, offset: 40, epoch: 'e1' })).toBe('saved')
    // The log restarted (a new epoch): a lower offset in it replaces the old epoch's snapshot.
    expect(await store.saveFenced(roomId, 1, { state: { n: 2 }, offset: 2, epoch: 'e2' })).toBe('saved')
    expect(await store.load(roomId)).toEqual({ state: { n: 2 }, offset: 2, epoch: 'e2' })
    // A late save in the retired epoch is kept out, whatever its offset, by either save path.
    expect(await store.saveFenced(roomId, 1, { state: { n: 3 }, offset: 99, epoch: 'e1' })).toBe('kept')
    await store.save(roomId, { n: 4 }, 100, 'e1')
    expect(await store.load(roomId)).toEqual({ state: { n: 2 }, offset: 2, epoch: 'e2' })
    // A plain save in the current epoch, then a fenced one: both see the same retired list.
    await store.save(roomId, { n: 5 }, 3, 'e2')
    expect(await store.saveFenced(roomId, 1, { state: { n: 6 }, offset: 50, epoch: 'e1' })).toBe('kept')
    expect(await store.load(roomId)).toEqual({ state: { n: 5 }, offset: 3, epoch: 'e2' })
  })

  test('an owner whose room was taken over meanwhile saves nothing and answers nothing', async () => {
    // Renewals far apart: the owner still believes it holds the lease when the move comes.
    const a = await inProcessNode('node-fa', { leaseTtlMs: 120_000, renewEveryMs: 60_000 })
    const roomId = 'fenced-2'
    const ann = await client(a.port, 'ann', [roomId])
    expect(await ann.answer({ type: 'add', roomId, n: 2 }, 'ann-1')).toMatchObject({ type: 'ack', moves: 1 })
    expect(a.placement.fenceOf(roomId)).toBe(1)
    // Another node took the room over (as after a pause past the lease) and saved its snapshot.
    const redis = redisClient()
    await redis.set(`{${prefix}:${roomId}}:fence`, '2')
    await redis.set(`{${prefix}:${roomId}}:lease`, '2 node-elsewhere', 'PX', 60_000)
    expect(await a.state.saveFenced(roomId, 2, { state: { count: 50, moves: 7 }, offset: 1 })).toBe('saved')
    // The old copy runs the move but its save is refused: it stops, and the move is refused as retryable.
    ann.send({ type: 'add', roomId, n: 1 }, 'ann-2')
    await expect
      .poll(() => ann.frames.find((f) => f.replyTo === 'ann-2'), settle)
      .toMatchObject({ type: 'error', code: 'UNAVAILABLE' })
    expect(await a.state.load(roomId)).toEqual({ state: { count: 50, moves: 7 }, offset: 1 })
    expect(a.placement.fenceOf(roomId)).toBeUndefined()
    expect(ann.states(roomId)).toEqual(['0:0', '1:2'])
  }, 60_000)

  test('a fenced publish reaches the room log only with the room’s current fence', async () => {
    const log = new RedisRoomLog({ redis: REDIS_URL, prefix })
    onTestFinished(() => log.disconnect())
    const redis = redisClient()
    const roomId = 'fenced-log'
    const heard: string[] = []
    await log.open(roomId, (_room, frame) => heard.push(`${frame.offset}:${frame.text}`))
    await redis.set(`{${prefix}:${roomId}}:fence`, '1')
    expect(await log.publishFenced(roomId, 1, { type: 'said', text: 'a' })).toMatchObject({ offset: 1 })
    // Another owner drew fence 2: the old owner's publish is refused, the new one's goes through.
    await redis.set(`{${prefix}:${roomId}}:fence`, '2')
    expect(await log.publishFenced(roomId, 1, { type: 'said', text: 'b' })).toBe('stale')
    expect(await log.publishFenced(roomId, 2, { type: 'said', text: 'c' })).toMatchObject({ offset: 2 })
    await expect.poll(() => heard, settle).toEqual(['1:a', '2:c'])
    const read = await log.read(roomId, { limit: 10 })
    expect(read.messages.map((m) => m.text)).toEqual(['a', 'c'])
    expect(read.top.offset).toBe(2)
  })

  test('an owner whose room was taken over meanwhile publishes nothing to the log and refuses the frame', async () => {
    // Renewals far apart: the owner still believes it holds the lease when the move comes.
    const slow = { leaseTtlMs: 120_000, renewEveryMs: 60_000 }
    const a = await inProcessNode('node-fp', slow)
    const roomId = 'fenced-publish'
    const ann = await client(a.port, 'ann', [roomId])
    const b = await inProcessNode('node-fp2', slow)
    const bob = await client(b.port, 'bob', [roomId])
    expect(await ann.answer({ type: 'say', roomId, text: 'first' }, 'ann-1')).toMatchObject({ type: 'ack' })
    for (const m of [ann, bob])
      await expect
        .poll(() => m.frames.filter((f) => f.type === 'said').map((f) => f.text), settle)
        .toEqual(['first'])
    expect(a.placement.fenceOf(roomId)).toBe(1)
    const before = (await a.log.read(roomId, { limit: 10 })).top.offset
    // Another node took the room over (as after a pause past the lease).
    const redis = redisClient()
    await redis.set(`{${prefix}:${roomId}}:fence`, '2')
    await redis.set(`{${prefix}:${roomId}}:lease`, '2 node-elsewhere', 'PX', 60_000)
    // bob's frame, forwarded from b: the old copy runs the handler, but its publish is refused; it
    // stops, and the frame is refused as retryable.
    bob.send({ type: 'say', roomId, text: 'stale' }, 'bob-1')
    await expect
      .poll(() => bob.frames.find((f) => f.replyTo === 'bob-1'), settle)
      .toMatchObject({ type: 'error', code: 'UNAVAILABLE' })
    expect(a.placement.fenceOf(roomId)).toBeUndefined()
    // ann's, on a itself, is refused too.
    ann.send({ type: 'say', roomId, text: 'stale' }, 'ann-2')
    await expect
      .poll(() => ann.frames.find((f) => f.replyTo === 'ann-2'), settle)
      .toMatchObject({ type: 'error', code: 'UNAVAILABLE' })
    const after = await a.log.read(roomId, { limit: 10 })
    expect(after.top.offset).toBe(before)
    expect(after.messages.map((m) => m.text)).not.toContain('stale')
    for (const m of [ann, bob])
      expect(m.frames.filter((f) => f.type === 'said').map((f) => f.text)).toEqual(['first'])
  }, 60_000)

  test('a move acknowledged by an owner that is then killed, sent again through another node, gets the first answer', async () => {
    const roomId = 'fenced-3'
    const owner = await childNode('node-fk')
    const [a, b] = await Promise.all([inProcessNode('node-fa3'), inProcessNode('node-fb3')])
    await client(owner.port, 'kim', [roomId])
    await expect.poll(() => lease(roomId), settle).toBe('1 node-fk')
    const ann = await client(a.port, 'ann', [roomId])
    const bob = await client(b.port, 'bob', [roomId])
    const move = { type: 'add', roomId, n: 4 }
    const first = await bob.answer(move, 'bob-x')
    expect(first).toMatchObject({ type: 'ack', moves: 1 })
    for (const m of [ann, bob]) await expect.poll(() => m.states(roomId).at(-1), settle).toBe('1:4')

    owner.child.kill('SIGKILL')
    // bob's client did not see the answer in time and sends the move again, same id, to its node:
    // refused while the room has no owner, then answered by the new owner with the first answer.
    const again = await bob.answer(move, 'bob-x')
    expect(await lease(roomId)).toMatch(/^2 node-f[ab]3$/)
    expect(again).toEqual(first)
    // The next move is the second: the resend was not applied again.
    expect(await ann.answer({ type: 'add', roomId, n: 1 }, 'ann-y')).toMatchObject({ type: 'ack', moves: 2 })
    for (const m of [ann, bob]) {
      await expect.poll(() => m.states(roomId).at(-1), settle).toBe('2:5')
      expect(m.states(roomId).filter((s) => s.startsWith('2:'))).toEqual(['2:5'])
    }
  }, 60_000)

  test('the members of a killed non-owner node leave the room on its owner (onLeave runs)', async () => {
    const roomId = 'fenced-4'
    const a = await inProcessNode('node-fa4')
    const ann = await client(a.port, 'ann', [roomId])
    expect(a.placement.fenceOf(roomId)).toBe(1)
    const other = await childNode('node-fk4')
    await client(other.port, 'kim', [roomId])
    other.child.kill('SIGKILL')
    // Once the dead node's liveness key ran out, the owner runs onLeave for kim: the room broadcasts it.
    await expect
      .poll(() => ann.frames.find((f) => f.type === 'member_left'), settle)
      .toMatchObject({ roomId, name: 'kim' })
    expect(ann.frames.filter((f) => f.type === 'member_left')).toHaveLength(1)
    // The room goes on for the others, on the same owner.
    expect(await ann.answer({ type: 'add', roomId, n: 3 }, 'ann-z')).toMatchObject({ type: 'ack', moves: 1 })
    expect(a.placement.fenceOf(roomId)).toBe(1)
  }, 60_000)

  test('an owner of 50 rooms renews all their leases in one script; a node with members there reads no lease', async () => {
    const rooms = Array.from({ length: 50 }, (_, i) => `many-${i}`)
    const a = await inProcessNode('node-fa5')
    const b = await inProcessNode('node-fb5')
    await client(a.port, 'ann', rooms)
    await client(b.port, 'bob', rooms)
    expect(a.placement.owned.sort()).toEqual([...rooms].sort())
    expect(b.placement.owned).toEqual([])
    // Every command any client sends that touches these rooms' leases, from now on.
    const leaseKeys = new Set(rooms.map((r) => `{${prefix}:${r}}:lease`))
    const touching: string[][] = []
    // redis-cli prints every command Redis runs; commands inside scripts are marked `lua`.
    const url = new URL(REDIS_URL)
    const monitor = spawn('redis-cli', ['-h', url.hostname, '-p', url.port || '6379', 'monitor'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    })
    onTestFinished(() => {
      monitor.kill()
    })
    let rest = ''
    monitor.stdout.setEncoding('utf8')
    monitor.stdout.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n')
      rest = lines.pop()!
      for (const line of lines) {
        if (line.includes(' lua] ')) continue
        const args = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!)
        if (args.some((arg) => leaseKeys.has(arg))) touching.push(args)
      }
    })
    // Several renewal rounds, spanning more than a lease's TTL.
    await expect.poll(() => touching.length, settle).toBeGreaterThanOrEqual(6)
    for (const args of touching) {
      // One script call with all 50 lease keys: a's renewal. A lease polled by b (or one lease
      // renewed alone) would be a call with fewer keys.
      expect(args[0]!.toLowerCase()).toBe('eval')
      expect(args[2]).toBe('50')
      expect(new Set(args.slice(3, 53))).toEqual(leaseKeys)
    }
    const holders = await redisClient().mget(...leaseKeys)
    expect(new Set(holders)).toEqual(new Set(['1 node-fa5']))
  }, 60_000)
})
