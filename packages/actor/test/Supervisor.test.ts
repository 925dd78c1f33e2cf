import { describe, expect, it } from 'vitest'
import {
  type ActorSystem,
  type AnyRef,
  type ChildSpec,
  type GenServer,
  MaxRestartsExceededError,
  Supervisor,
} from '../src/index.js'
import { testSystem, until } from './helpers.js'

type WorkerArgs = { id: string; log: string[]; slowStop?: boolean }
/** Logs its lifecycle so tests can check order; registers under its id so the current incarnation is findable. */
const Worker: GenServer<WorkerArgs, WorkerArgs & { n: number }, 'get', 'crash' | 'inc', number> = {
  init: (args) => {
    args.log.push(`start:${args.id}`)
    return { ...args, n: 0 }
  },
  handleCall: (_m, _f, s) => ({ reply: s.n, state: s }),
  handleCast(msg, s) {
    if (msg === 'crash') throw new Error(`${s.id} crashed`)
    return { ...s, n: s.n + 1 }
  },
  terminate(_r, s) {
    s.log.push(`stop:${s.id}`)
    if (s.slowStop) return new Promise(() => {})
  },
}

const worker = (id: string, log: string[], extra: Partial<ChildSpec> = {}): ChildSpec<WorkerArgs> => ({
  id,
  behaviour: Worker,
  args: { id, log },
  options: { name: id },
  ...extra,
})

const where = (system: ActorSystem, id: string) => system.registry.whereis(id)

/** Exits normally via stop from outside, the simplest 'normal' exit for transient tests. */
const stopNormally = (system: ActorSystem, ref: AnyRef) => system.stop(ref, 'normal')

describe('Supervisor', () => {
  it('one_for_one: a throw in handleCast restarts the child and the new child answers calls', async () => {
    const { system, crashes } = testSystem()
    const log: string[] = []
    const sup = await Supervisor.start(system, {
      strategy: 'one_for_one',
      children: [worker('a', log), worker('b', log)],
    })
    const a1 = where(system, 'a')!
    const b1 = where(system, 'b')!
    system.cast(a1, 'inc')
    system.cast(a1, 'crash')
    await until(() => where(system, 'a') !== undefined && where(system, 'a') !== a1)
    const a2 = where(system, 'a')!
    expect(await system.call(a2, 'get')).toBe(0)
    expect(where(system, 'b')).toBe(b1)
    expect(log).toEqual(['start:a', 'start:b', 'stop:a', 'start:a'])
    expect(crashes.map((c) => c.phase)).toEqual(['handleCast'])
    expect(await Supervisor.countChildren(sup)).toEqual({ specs: 2, active: 2, supervisors: 0, workers: 2 })
  })

  it('rest_for_one restarts exactly the later siblings, in order', async () => {
    const { system } = testSystem()
    const log: string[] = []
    await Supervisor.start(system, {
      strategy: 'rest_for_one',
      children: [worker('a', log), worker('b', log), worker('c', log), worker('d', log)],
    })
    const a1 = where(system, 'a')
    log.length = 0
    system.cast(where(system, 'b')!, 'crash')
    await until(() => log.length === 6)
    expect(log).toEqual(['stop:b', 'stop:d', 'stop:c', 'start:b', 'start:c', 'start:d'])
    expect(where(system, 'a')).toBe(a1)
  })

  it('one_for_all restarts every child', async () => {
    const { system } = testSystem()
    const log: string[] = []
    await Supervisor.start(system, {
      strategy: 'one_for_all',
      children: [worker('a', log), worker('b', log), worker('c', log)],
    })
    log.length = 0
    system.cast(where(system, 'b')!, 'crash')
    await until(() => log.length === 6)
    expect(log).toEqual(['stop:b', 'stop:c', 'stop:a', 'start:a', 'start:b', 'start:c'])
  })

  it('transient children that exit normally are not restarted; abnormal exits are; temporary never', async () => {
    const { system } = testSystem()
    const log: string[] = []
    const sup = await Supervisor.start(system, {
      strategy: 'one_for_one',
      children: [
        worker('t1', log, { restart: 'transient' }),
        worker('t2', log, { restart: 'transient' }),
        worker('tmp', log, { restart: 'temporary' }),
      ],
    })
    await stopNormally(system, where(system, 't1')!)
    const t2 = where(system, 't2')!
    system.cast(t2, 'crash')
    system.cast(where(system, 'tmp')!, 'crash')
    await until(() => where(system, 't2') !== undefined && where(system, 't2') !== t2)
    await Supervisor.countChildren(sup) // a call queues behind the EXIT messages, so they are handled
    const children = await Supervisor.whichChildren(sup)
    expect(children.map((c) => [c.id, c.ref !== undefined])).toEqual([
      ['t1', false],
      ['t2', true],
    ])
    expect(where(system, 't1')).toBeUndefined()
    expect(where(system, 'tmp')).toBeUndefined()
  })

  it('exceeding intensity escalates two levels up a nested tree and stops every child in reverse order', async () => {
    const { system, crashes } = testSystem()
    const log: string[] = []
    const leaf = Supervisor.childSpec('leaf', {
      strategy: 'one_for_one',
      intensity: { maxRestarts: 1, withinMs: 60_000 },
      children: [worker('x', log), worker('y', log)],
    })
    const mid = Supervisor.childSpec('mid', {
      strategy: 'one_for_one',
      intensity: { maxRestarts: 0, withinMs: 60_000 },
      children: [worker('m1', log), leaf, worker('m2', log)],
    })
    const root = await Supervisor.start(system, {
      strategy: 'one_for_one',
      intensity: { maxRestarts: 0, withinMs: 60_000 },
      children: [worker('r1', log), mid, worker('r2', log)],
    })
    expect(log).toEqual(['start:r1', 'start:m1', 'start:x', 'start:y', 'start:m2', 'start:r2'])
    log.length = 0
    system.cast(where(system, 'x')!, 'crash') // restart 1 of 1: fine
    await until(() => log.length === 2).catch(() => {
      throw new Error(JSON.stringify(log))
    })
    system.cast(where(system, 'x')!, 'crash') // leaf exceeds → mid exceeds → root exceeds
    const reason = await system.whenExited(root)
    expect((reason as { error: unknown }).error).toBeInstanceOf(MaxRestartsExceededError)
    expect(log).toEqual([
      'stop:x',
      'start:x',
      'stop:x',
      'stop:y', // leaf gives up, stopping its remaining child
      'stop:m2', // mid gives up, reverse order
      'stop:m1',
      'stop:r2', // root gives up, reverse order
      'stop:r1',
    ])
    expect(crashes.filter((c) => c.error instanceof MaxRestartsExceededError)).toHaveLength(3)
    expect(system.processCount).toBe(0)
    expect(system.registry.size).toBe(0)
  })

  it('the default intensity is 3 restarts in 5 s: the 4th crash stops the supervisor with MaxRestartsExceeded', async () => {
    const { system } = testSystem()
    const log: string[] = []
    const sup = await Supervisor.start(system, { strategy: 'one_for_one', children: [worker('a', log)] })
    for (let i = 0; i < 3; i++) {
      const cur = where(system, 'a')!
      system.cast(cur, 'crash')
      await until(() => where(system, 'a') !== undefined && where(system, 'a') !== cur)
    }
    expect(system.isAlive(sup)).toBe(true)
    system.cast(where(system, 'a')!, 'crash')
    const reason = (await system.whenExited(sup)) as { error: MaxRestartsExceededError }
    expect(reason.error).toBeInstanceOf(MaxRestartsExceededError)
    expect(reason.error).toMatchObject({ code: 'max_restarts', maxRestarts: 3, withinMs: 5000 })
  })

  it('a nested supervisor that exceeds intensity is restarted by its parent', async () => {
    const { system } = testSystem()
    const log: string[] = []
    const root = await Supervisor.start(system, {
      strategy: 'one_for_one',
      children: [
        Supervisor.childSpec('inner', {
          strategy: 'one_for_one',
          intensity: { maxRestarts: 0, withinMs: 60_000 },
          children: [worker('w', log)],
        }),
      ],
    })
    const [inner1] = await Supervisor.whichChildren(root)
    system.cast(where(system, 'w')!, 'crash')
    await until(() => log.length === 3)
    const [inner2] = await Supervisor.whichChildren(root)
    expect(inner2?.ref).toBeDefined()
    expect(inner2?.ref).not.toBe(inner1?.ref)
    expect(inner2?.type).toBe('supervisor')
    expect(log).toEqual(['start:w', 'stop:w', 'start:w'])
    expect(await system.call(where(system, 'w')!, 'get')).toBe(0)
  })

  it('simple_one_for_one starts children from a template, restarts them with their own args, terminates by ref', async () => {
    const { system } = testSystem()
    const log: string[] = []
    const sup = await Supervisor.start(system, {
      strategy: 'simple_one_for_one',
      child: {
        behaviour: Worker,
        restart: 'transient',
        options: (args: WorkerArgs) => ({ name: `w:${args.id}` }),
      },
    })
    const a = await Supervisor.startChild(sup, { id: 'a', log })
    const b = await Supervisor.startChild(sup, { id: 'b', log })
    system.cast(a, 'crash')
    await until(() => log.length === 4)
    expect(log).toEqual(['start:a', 'start:b', 'stop:a', 'start:a'])
    expect(where(system, 'w:a')).not.toBe(a)
    expect(where(system, 'w:b')).toBe(b)
    await Supervisor.terminateChild(sup, b)
    expect(system.isAlive(b)).toBe(false)
    const kids = await Supervisor.whichChildren(sup)
    expect(kids).toHaveLength(1)
    expect(await system.call(kids[0]!.ref!, 'get')).toBe(0)
    await stopNormally(system, kids[0]!.ref!)
    await until(() => system.processCount === 1)
    expect(await Supervisor.countChildren(sup)).toEqual({ specs: 0, active: 0, supervisors: 0, workers: 0 })
  })

  it('startChild, terminateChild, restartChild, deleteChild, whichChildren, countChildren', async () => {
    const { system } = testSystem()
    const log: string[] = []
    const sup = await Supervisor.start(system, { strategy: 'one_for_one', children: [] })
    const a = await Supervisor.startChild(sup, worker('a', log))
    await expect(Supervisor.startChild(sup, worker('a', log))).rejects.toMatchObject({
      code: 'child_running',
    })
    await Supervisor.terminateChild(sup, 'a')
    expect(system.isAlive(a)).toBe(false)
    expect(await Supervisor.countChildren(sup)).toEqual({ specs: 1, active: 0, supervisors: 0, workers: 1 })
    const a2 = await Supervisor.restartChild(sup, 'a')
    expect(system.isAlive(a2)).toBe(true)
    await expect(Supervisor.deleteChild(sup, 'a')).rejects.toMatchObject({ code: 'child_running' })
    await Supervisor.terminateChild(sup, 'a')
    await Supervisor.deleteChild(sup, 'a')
    expect(await Supervisor.whichChildren(sup)).toEqual([])
    await expect(Supervisor.restartChild(sup, 'a')).rejects.toMatchObject({ code: 'child_not_found' })
  })

  it('a child whose terminate hangs is killed after its shutdown timeout', async () => {
    const { system } = testSystem()
    const log: string[] = []
    const sup = await Supervisor.start(system, {
      strategy: 'one_for_one',
      children: [{ ...worker('slow', log), args: { id: 'slow', log, slowStop: true }, shutdown: 30 }],
    })
    const slow = where(system, 'slow')!
    await Supervisor.terminateChild(sup, 'slow')
    expect(await system.whenExited(slow)).toBe('killed')
    expect(log).toEqual(['start:slow', 'stop:slow'])
  })

  it('a failing child makes the supervisor start fail with its children stopped', async () => {
    const { system } = testSystem()
    const log: string[] = []
    const Broken: GenServer<void, void> = {
      init: () => {
        throw new Error('cannot start')
      },
    }
    const err = await Supervisor.start(system, {
      strategy: 'one_for_one',
      children: [worker('a', log), { id: 'broken', behaviour: Broken, args: undefined }],
    }).catch((e) => e)
    expect(err.code).toBe('init_failed')
    expect(log).toEqual(['start:a', 'stop:a'])
    expect(system.processCount).toBe(0)
  })
})
