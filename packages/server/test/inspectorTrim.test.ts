import { ActorSystem, Supervisor } from '@hubbub/actor'
import { describe, expect, test } from 'vitest'
import { describeReason, FEED_CHILDREN, InspectorFeed, trimTree } from '../src/inspector/InspectorFeed.js'

const Idle = { init: () => ({ state: null }), handleCall: () => ({ reply: null, state: null }) }

describe('the inspector feed', () => {
  test('trimTree keeps at most FEED_CHILDREN children per supervisor, restarted ones first, and says how many there are', async () => {
    const system = new ActorSystem()
    const sup = await Supervisor.start(system, {
      strategy: 'simple_one_for_one',
      child: { behaviour: Idle as never, restart: 'permanent' },
    })
    const refs = []
    for (let i = 0; i < FEED_CHILDREN + 5; i++) refs.push(await Supervisor.startChild(sup, undefined))
    const last = refs.at(-1)!
    system.exit(last, { error: new Error('boom') })
    await expect.poll(() => system.snapshot().roots[0]?.supervisor?.restarts).toBe(1)
    const tree = trimTree(system.snapshot()) as any
    const children = tree.roots[0].supervisor.children
    expect(children).toHaveLength(FEED_CHILDREN)
    expect(tree.roots[0].supervisor.childCount).toBe(FEED_CHILDREN + 5)
    expect(children[0].restarts).toBe(1)
    await system.shutdown()
  })

  test('exit reasons are a few words: an error gives its message only', () => {
    expect(describeReason('normal')).toBe('normal')
    expect(describeReason({ error: new Error('boom') })).toBe('error: boom')
  })

  test('no listener and no timer until someone watches, and none after the last one leaves', async () => {
    const system = new ActorSystem()
    const snapshot = {
      nodeId: 'n',
      at: 0,
      uptimeMs: 0,
      rooms: [],
      connections: [],
      userRateLimits: 0,
      actors: system.snapshot(),
    }
    let reads = 0
    const feed = new InspectorFeed(
      {
        system,
        introspect: async () => {
          reads++
          return snapshot
        },
        act: async () => ({ ok: true }),
      },
      20,
    )
    expect(system.watched).toBe(false)
    expect(feed.running).toBe(false)
    const frames: Record<string, unknown>[] = []
    const watcher = { sendFrame: (f: Record<string, unknown>) => frames.push(f) }
    feed.watch(watcher)
    expect(system.watched).toBe(true)
    expect(feed.running).toBe(true)
    await expect.poll(() => frames.filter((f) => f.kind === 'snapshot').length).toBeGreaterThanOrEqual(2)
    await system.start(Idle as never, undefined)
    await expect.poll(() => frames.some((f) => f.kind === 'event')).toBe(true)
    feed.unwatch(watcher)
    expect(system.watched).toBe(false)
    expect(feed.running).toBe(false)
    expect(reads).toBeGreaterThanOrEqual(2)
  })
})
