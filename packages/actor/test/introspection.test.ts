import { describe, expect, it } from 'vitest'
import {
  type ActorSystem,
  type GenServer,
  type LifecycleEvent,
  MaxRestartsExceededError,
  type ProcessSnapshot,
  Supervisor,
} from '../src/index.js'
import { testSystem, until } from './helpers.js'

const Worker: GenServer<void, number, 'get', 'crash' | 'inc', number> = {
  init: () => 0,
  handleCall: (_m, _f, n) => ({ reply: n, state: n }),
  handleCast(msg, n) {
    if (msg === 'crash') throw new Error('boom')
    return n + 1
  },
}

/** Blocks in handleCall until released, so messages queue up behind it. */
const Gate: GenServer<void, null, 'wait', 'poke', null> = {
  init: () => null,
  handleCall: async (_m, _f, s) => {
    await new Promise<void>((release) => {
      gates.push(release)
    })
    return { reply: null, state: s }
  },
  handleCast: (_m, s) => s,
}
const gates: (() => void)[] = []

function find(nodes: readonly ProcessSnapshot[], name: string): ProcessSnapshot | undefined {
  for (const n of nodes) {
    if (n.name === name) return n
    const kids = n.supervisor?.children ?? []
    const hit = find(
      kids.flatMap((c) => (c.process ? [c.process] : [])),
      name,
    )
    if (hit) return hit
  }
  return undefined
}

function record(system: ActorSystem): { events: LifecycleEvent[]; stop: () => void } {
  const events: LifecycleEvent[] = []
  const stop = system.onLifecycle((e) => events.push(e))
  return { events, stop }
}

describe('snapshot and lifecycle events', () => {
  it('a crash shows as exited (with the reason) then restarted, on the stream and the snapshot', async () => {
    const { system } = testSystem()
    const sup = await Supervisor.start(
      system,
      {
        strategy: 'one_for_one',
        intensity: { maxRestarts: 5, withinMs: 60_000 },
        children: [{ id: 'w', behaviour: Worker, args: undefined, options: { name: 'w' } }],
      },
      { name: 'top' },
    )
    const { events } = record(system)
    const before = system.registry.whereis('w')!
    system.cast(before, 'crash')
    await until(() => events.some((e) => e.type === 'restarted'))

    const exited = events.find((e) => e.type === 'exited')
    expect(exited).toMatchObject({ type: 'exited', pid: before.id, name: 'w' })
    const reason = exited?.type === 'exited' ? exited.reason : undefined
    expect((reason as { error: Error }).error.message).toBe('boom')
    const after = system.registry.whereis('w')!
    expect(events.map((e) => e.type)).toEqual(['exited', 'started', 'restarted'])
    expect(events[1]).toMatchObject({ type: 'started', pid: after.id, name: 'w', parent: sup.id })
    expect(events[2]).toMatchObject({
      type: 'restarted',
      ref: after,
      childId: 'w',
      supervisor: sup,
      restarts: 1,
    })

    const snap = system.snapshot()
    expect(snap.processes).toBe(system.processCount)
    const top = find(snap.roots, 'top')!
    expect(top.supervisor).toMatchObject({
      strategy: 'one_for_one',
      restarts: 1,
      intensity: { recent: 1, maxRestarts: 5, withinMs: 60_000 },
    })
    expect(top.supervisor!.children).toEqual([
      {
        id: 'w',
        type: 'worker',
        restart: 'permanent',
        restarts: 1,
        process: { pid: after.id, name: 'w', status: 'idle', mailbox: 0, dropped: 0 },
      },
    ])
  })

  it('simple_one_for_one children keep their restart count across incarnations', async () => {
    const { system } = testSystem()
    const sup = await Supervisor.start(system, {
      strategy: 'simple_one_for_one',
      child: { behaviour: Worker },
      intensity: { maxRestarts: 10, withinMs: 60_000 },
    })
    const { events } = record(system)
    let ref = await Supervisor.startChild(sup, undefined)
    await Supervisor.startChild(sup, undefined)
    for (let i = 1; i <= 2; i++) {
      system.cast(ref, 'crash')
      await until(() => events.filter((e) => e.type === 'restarted').length === i)
      const last = events.at(-1)!
      expect(last).toMatchObject({ type: 'restarted', restarts: i })
      ref = last.ref
    }
    const children = system.snapshot().roots.find((r) => r.pid === sup.id)!.supervisor!.children
    expect(children.map((c) => [c.id === String(ref.id), c.restarts]).sort()).toEqual([
      [false, 0],
      [true, 2],
    ])
  })

  it('escalation shows on the parent: the child supervisor escalates, exits, and is restarted', async () => {
    const { system } = testSystem()
    const parent = await Supervisor.start(
      system,
      {
        strategy: 'one_for_one',
        intensity: { maxRestarts: 3, withinMs: 60_000 },
        children: [
          Supervisor.childSpec(
            'inner',
            {
              strategy: 'one_for_one',
              intensity: { maxRestarts: 1, withinMs: 60_000 },
              children: [{ id: 'w', behaviour: Worker, args: undefined, options: { name: 'w' } }],
            },
            { options: { name: 'inner' } },
          ),
        ],
      },
      { name: 'parent' },
    )
    const { events } = record(system)
    const inner1 = system.registry.whereis('inner')!
    system.cast(system.registry.whereis('w')!, 'crash')
    await until(() => events.filter((e) => e.type === 'restarted').length === 1)
    system.cast(system.registry.whereis('w')!, 'crash')
    await until(() => events.some((e) => e.type === 'restarted' && e.name === 'inner'))

    const escalated = events.find((e) => e.type === 'escalated')
    expect(escalated).toMatchObject({ pid: inner1.id, name: 'inner', maxRestarts: 1, withinMs: 60_000 })
    const innerExit = events.find((e) => e.type === 'exited' && e.pid === inner1.id)
    expect(innerExit?.type === 'exited' && (innerExit.reason as { error: unknown }).error).toBeInstanceOf(
      MaxRestartsExceededError,
    )
    const order = events.map((e) => `${e.type}:${e.name}`)
    expect(order.indexOf('escalated:inner')).toBeLessThan(order.indexOf('exited:inner'))
    expect(order.indexOf('exited:inner')).toBeLessThan(order.indexOf('restarted:inner'))

    const top = system.snapshot().roots.find((r) => r.pid === parent.id)!
    expect(top.name).toBe('parent')
    expect(top.supervisor).toMatchObject({ restarts: 1, intensity: { recent: 1, maxRestarts: 3 } })
    const inner = top.supervisor!.children[0]!
    expect(inner).toMatchObject({ id: 'inner', type: 'supervisor', restarts: 1 })
    expect(inner.process?.name).toBe('inner')
    expect(inner.process?.pid).not.toBe(inner1.id)
    // The fresh inner supervisor starts with a clean window.
    expect(inner.process?.supervisor).toMatchObject({ restarts: 0, intensity: { recent: 0, maxRestarts: 1 } })
  })

  it('supervisors carry their names: spec.name (not registered, may repeat), else the childSpec id, in snapshots and events', async () => {
    const { system } = testSystem()
    const spec = (inner: string) => ({
      strategy: 'one_for_one' as const,
      intensity: { maxRestarts: 5, withinMs: 60_000 },
      children: [
        Supervisor.childSpec(inner, {
          strategy: 'one_for_one',
          intensity: { maxRestarts: 0, withinMs: 60_000 },
          children: [{ id: 'w', behaviour: Worker, args: undefined }],
        }),
        Supervisor.childSpec('pool', {
          strategy: 'simple_one_for_one',
          name: 'pool of workers',
          child: { behaviour: Worker },
        }),
      ],
      name: 'top',
    })
    // Two trees with the same names: a label is not a registry key.
    const a = await Supervisor.start(system, spec('inner'))
    await Supervisor.start(system, spec('inner'))
    const plain = await Supervisor.start(system, { strategy: 'one_for_one', children: [] })
    const roots = system.snapshot().roots
    expect(roots.filter((r) => r.name === 'top')).toHaveLength(2)
    expect(roots.find((r) => r.pid === plain.id)?.name).toBeUndefined()
    const top = roots.find((r) => r.pid === a.id)!
    const names = top.supervisor!.children.map((c) => [
      c.id,
      c.process?.name,
      c.process?.supervisor?.strategy,
    ])
    expect(names).toEqual([
      ['inner', 'inner', 'one_for_one'],
      ['pool', 'pool of workers', 'simple_one_for_one'],
    ])
    // A worker keeps no name of its own.
    expect(top.supervisor!.children[0]!.process!.supervisor!.children[0]!.process!.name).toBeUndefined()

    // The inner supervisor gives up at its first restart: the escalation and its restart name it.
    const { events } = record(system)
    const inner = top.supervisor!.children[0]!.process!
    const worker = inner.supervisor!.children[0]!.process!
    const innerRef = (await Supervisor.whichChildren(a))[0]!.ref!
    const workerRef = (await Supervisor.whichChildren(innerRef))[0]!.ref!
    expect([innerRef.id, workerRef.id]).toEqual([inner.pid, worker.pid])
    system.cast(workerRef, 'crash')
    await until(() => events.some((e) => e.type === 'restarted' && e.name === 'inner'))
    expect(events.find((e) => e.type === 'escalated')).toMatchObject({ pid: inner.pid, name: 'inner' })
    expect(events.find((e) => e.type === 'exited' && e.pid === inner.pid)?.name).toBe('inner')
    const again = system.snapshot().roots.find((r) => r.pid === a.id)!.supervisor!.children[0]!
    expect(again).toMatchObject({ id: 'inner', restarts: 1, process: { name: 'inner' } })
    expect(again.process!.pid).not.toBe(inner.pid)
  })

  it('shows mailbox depth and status of a busy process', async () => {
    const { system } = testSystem()
    const ref = await system.start(Gate, undefined, { name: 'gate' })
    const waiting = system.call(ref, 'wait')
    await until(() => gates.length === 1)
    for (let i = 0; i < 3; i++) system.cast(ref, 'poke')
    const node = find(system.snapshot().roots, 'gate')!
    expect(node).toMatchObject({ status: 'running', mailbox: 3 })
    gates.shift()!()
    await waiting
    await until(() => find(system.snapshot().roots, 'gate')?.mailbox === 0)
    expect(find(system.snapshot().roots, 'gate')!.status).toBe('idle')
  })

  it('names processes from the other unique registries of the system', async () => {
    const { system } = testSystem()
    const rooms = system.createRegistry({ keys: 'unique' })
    const ref = await system.start(Worker, undefined)
    rooms.register('room:lobby', ref)
    expect(system.snapshot().roots.find((r) => r.pid === ref.id)?.name).toBe('room:lobby')
  })

  it('unsubscribe stops delivery, and other listeners keep theirs', async () => {
    const { system } = testSystem()
    const a = record(system)
    const b = record(system)
    const ref = await system.start(Worker, undefined)
    expect(a.events.map((e) => e.type)).toEqual(['started'])
    a.stop()
    a.stop() // idempotent
    await system.stop(ref)
    expect(a.events.map((e) => e.type)).toEqual(['started'])
    expect(b.events.map((e) => e.type)).toEqual(['started', 'exited'])
    expect(b.events[1]).toMatchObject({ type: 'exited', reason: 'normal', pid: ref.id })
    b.stop()
    await system.start(Worker, undefined)
    expect(b.events).toHaveLength(2)
    expect(system.watched).toBe(false)
  })

  it('a throwing listener is logged, not fatal, and the others still hear the event', async () => {
    const { system } = testSystem()
    const original = console.error
    const logged: unknown[] = []
    console.error = (...args: unknown[]) => logged.push(args[0])
    const unsubscribe = system.onLifecycle(() => {
      throw new Error('listener bug')
    })
    try {
      const { events } = record(system)
      await system.start(Worker, undefined)
      expect(events.map((e) => e.type)).toEqual(['started'])
      expect(logged).toEqual(['[@hubbub/actor] lifecycle listener threw:'])
    } finally {
      unsubscribe()
      console.error = original
    }
  })
})
