import { RedisRoomStateStore, redisNode } from '@hubbub/redis'
import { createServer } from '@hubbub/server'
import { wsTransport } from '@hubbub/transport-ws'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it, onTestFinished } from 'vitest'
import { type YjsRoomOptions, type YjsSnapshot, yjsRoom } from '../src/index.js'
import { editor, live } from './helpers.js'

/*
 * Several nodes on a real Redis (REDIS_URL, default 127.0.0.1:6379; REQUIRE_REDIS=1 fails
 * instead of skipping when it is down). Each run uses its own key prefix and deletes it.
 */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const prefix = `hubbub-test:yjs-nodes:${process.pid}:${Math.random().toString(36).slice(2, 10)}`

async function redisUp(): Promise<string | undefined> {
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  })
  redis.on('error', () => {})
  try {
    await redis.connect()
    await redis.ping()
    return undefined
  } catch (err) {
    if (process.env.REQUIRE_REDIS === '1') throw err
    return (err as Error).message
  } finally {
    redis.disconnect()
  }
}
const skip = await redisUp()

/** One node: a server on Redis running `yjsRoom`, closed (with its Redis connections) when the test ends or on `stop`. */
async function startNode(options: YjsRoomOptions = {}) {
  const behaviour = yjsRoom(options)
  const node = redisNode({ redis: REDIS_URL, prefix, nodeTtlMs: 10_000, onError: () => {} })
  const server = createServer({
    ...node.server,
    transport: wsTransport,
    auth: { anonymous: true },
    heartbeatMs: 0,
    roomGraceMs: 0,
    rooms: behaviour,
  })
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    await server.close({ graceMs: 200 })
    await node.close()
  }
  onTestFinished(stop)
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' })
  return {
    behaviour,
    node,
    stop,
    url: `ws://127.0.0.1:${port}/ws`,
    text: (roomId: string) => behaviour.rooms.get(roomId)?.text(),
  }
}

describe.skipIf(skip !== undefined)('a Yjs document on several nodes (Redis)', () => {
  afterAll(async () => {
    const redis = new Redis(REDIS_URL)
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 500)
      cursor = next
      if (keys.length > 0) await redis.del(...keys)
    } while (cursor !== '0')
    redis.disconnect()
  })

  it('concurrent edits through three nodes converge on every client and on every node', async () => {
    const nodes = [await startNode(), await startNode(), await startNode()]
    const editors = nodes.map((n, k) => editor(n.url, 'doc', ['ann', 'bob', 'cat'][k]!))
    for (const e of editors) await expect.poll(() => e.provider.synced, live).toBe(true)
    const words: string[] = []
    for (let round = 0; round < 8; round++) {
      // All three edit in the same turn: concurrent updates, sequenced from three nodes.
      editors.forEach((e, k) => {
        const word = `${'abc'[k]}${round} `
        words.push(word)
        const text = e.doc.getText('text')
        text.insert(round % 2 === 0 ? 0 : text.length, word)
      })
      await new Promise((resolve) => setImmediate(resolve))
    }
    const reference = editors[0]!
    await expect
      .poll(
        () =>
          words.every((w) => reference.text().includes(w)) &&
          editors.every((e) => e.text() === reference.text()),
        live,
      )
      .toBe(true)
    // Each node's own document holds every update, also those sequenced by the other nodes.
    for (const n of nodes) await expect.poll(() => n.text('doc'), live).toBe(reference.text())
  })

  it('a node that restarts loads the shared snapshot and replays the log after it', async () => {
    const options = { snapshotEveryUpdates: 4 }
    const a = await startNode(options)
    const b = await startNode(options)
    const ann = editor(a.url, 'notes', 'ann')
    const bob = editor(b.url, 'notes', 'bob')
    for (const e of [ann, bob]) await expect.poll(() => e.provider.synced, live).toBe(true)
    for (let i = 0; i < 10; i++) {
      ann.doc.getText('text').insert(ann.doc.getText('text').length, `a${i} `)
      bob.doc.getText('text').insert(0, `b${i} `)
      await new Promise((resolve) => setImmediate(resolve))
    }
    await expect
      .poll(() => ann.text().includes('a9 ') && ann.text().includes('b9 ') && ann.text() === bob.text(), live)
      .toBe(true)
    // Node b goes away; ann goes on editing through node a.
    bob.provider.destroy()
    await b.stop()
    for (let i = 0; i < 3; i++) {
      ann.doc.getText('text').insert(0, `late${i} `)
      await new Promise((resolve) => setImmediate(resolve))
    }
    await expect.poll(() => a.text('notes')?.includes('late2 '), live).toBe(true)
    const store = new RedisRoomStateStore({ redis: REDIS_URL, prefix })
    onTestFinished(() => store.disconnect())
    // A snapshot is shared in Redis; the last edits are (at least partly) only in the log after it.
    await expect.poll(async () => (await store.load('notes'))?.offset ?? 0, live).toBeGreaterThan(0)
    // A new node b: its room starts from the snapshot plus the log, before any client sends it anything.
    const b2 = await startNode(options)
    const cat = editor(b2.url, 'notes', 'cat')
    await expect.poll(() => b2.text('notes'), live).toBe(a.text('notes'))
    await expect.poll(() => cat.text(), live).toBe(ann.text())
    expect(cat.text()).toContain('late2 ')
  })

  it('a member joining on another node gets every awareness state in its first sync, and their removal on leave', async () => {
    // Awareness never expires on the server during the test, and no client renews its state
    // (their renewal timers are stopped): only the join-time path can bring ann's state to node b.
    const options = { awarenessTimeoutMs: 60_000 }
    const a = await startNode(options)
    const b = await startNode(options)
    const quiet = (e: ReturnType<typeof editor>) => {
      clearInterval(
        (e.awareness as unknown as { _checkInterval: ReturnType<typeof setInterval> })._checkInterval,
      )
      return e
    }
    const ann = quiet(editor(a.url, 'board', 'ann'))
    await expect.poll(() => ann.provider.synced, live).toBe(true)
    ann.awareness.setLocalStateField('cursor', { anchor: 3, head: 7 })
    await expect.poll(() => a.behaviour.rooms.get('board')?.awareness.size, live).toBe(1)
    const annId = ann.doc.clientID
    // Node b's room starts with bob's join: it reads ann's state from the log.
    const bob = quiet(editor(b.url, 'board', 'bob'))
    await expect
      .poll(() => bob.awareness.getStates().get(annId), live)
      .toEqual({ cursor: { anchor: 3, head: 7 } })
    // Node b's room runs now: a second joiner gets ann's state (and bob's) from its table.
    bob.awareness.setLocalStateField('cursor', { anchor: 1, head: 1 })
    await expect.poll(() => b.behaviour.rooms.get('board')?.awareness.size, live).toBe(2)
    const cat = quiet(editor(b.url, 'board', 'cat'))
    await expect
      .poll(() => cat.awareness.getStates().get(annId), live)
      .toEqual({ cursor: { anchor: 3, head: 7 } })
    await expect.poll(() => cat.awareness.getStates().has(bob.doc.clientID), live).toBe(true)
    // Ann leaves node a: her state is removed on node b's table and at bob's and cat's.
    ann.provider.destroy()
    await expect.poll(() => bob.awareness.getStates().has(annId), live).toBe(false)
    await expect.poll(() => cat.awareness.getStates().has(annId), live).toBe(false)
    const heldOnB = () =>
      b.behaviour.rooms
        .get('board')
        ?.awareness.dump()
        .map((h) => h.clientID) ?? []
    await expect.poll(() => heldOnB().includes(annId), live).toBe(false)
    // Bob's and cat's states stay.
    expect(heldOnB().sort()).toEqual([bob.doc.clientID, cat.doc.clientID].sort())
    expect(cat.awareness.getStates().has(bob.doc.clientID)).toBe(true)
  })

  it('a node starting from a snapshot that covers an awareness state has it for its first joiner', async () => {
    const options = { awarenessTimeoutMs: 60_000, snapshotEveryUpdates: 2 }
    const a = await startNode(options)
    const quiet = (e: ReturnType<typeof editor>) => {
      clearInterval(
        (e.awareness as unknown as { _checkInterval: ReturnType<typeof setInterval> })._checkInterval,
      )
      return e
    }
    const ann = quiet(editor(a.url, 'sheet', 'ann'))
    await expect.poll(() => ann.provider.synced, live).toBe(true)
    ann.awareness.setLocalStateField('cursor', { anchor: 5, head: 5 })
    await expect.poll(() => a.behaviour.rooms.get('sheet')?.awareness.size, live).toBe(1)
    // Edits after it: snapshots (every 2 frames) that cover the awareness frame reach the store.
    // One edit per look, until a snapshot is past it: a provider may send several quick edits
    // as one update, so a fixed number of edits does not promise a fixed number of frames.
    const store = new RedisRoomStateStore({ redis: REDIS_URL, prefix })
    onTestFinished(() => store.disconnect())
    const saved = async () => (await store.load('sheet')) as { state: YjsSnapshot } | undefined
    let edits = 0
    await expect
      .poll(async () => {
        ann.doc.getText('text').insert(0, `x${edits++}`)
        return (await store.load('sheet'))?.offset ?? 0
      }, live)
      .toBeGreaterThan(2)
    await expect
      .poll(async () => (await saved())?.state.awareness?.map((h) => h.clientID), live)
      .toEqual([ann.doc.clientID])
    const b = await startNode(options)
    const bob = quiet(editor(b.url, 'sheet', 'bob'))
    await expect
      .poll(() => bob.awareness.getStates().get(ann.doc.clientID), live)
      .toEqual({ cursor: { anchor: 5, head: 5 } })
    await expect.poll(() => bob.text(), live).toBe(ann.text())
  })
})
