import { describe, expect, it, onTestFinished, vi } from 'vitest'
import {
  ActorError,
  ActorSystem,
  CallTimeoutError,
  ExitError,
  type From,
  type GenServer,
  MailboxFullError,
  NoProcError,
  type SystemMessage,
} from '../src/index.js'
import { testSystem, tick, until } from './helpers.js'

type CounterCall = 'get' | 'boom' | { defer: string } | { release: string; value: number } | 'stop'
type CounterCast = 'inc' | 'crash' | 'asyncCrash'
const Counter: GenServer<
  number,
  { n: number; waiting: Map<string, From<number>> },
  CounterCall,
  CounterCast,
  number
> = {
  init: (n) => ({ n, waiting: new Map() }),
  handleCall(msg, from, state) {
    if (msg === 'get') return { reply: state.n, state }
    if (msg === 'boom') throw new Error('boom in call')
    if (msg === 'stop') return { stop: 'normal', reply: -1, state }
    if ('defer' in msg) {
      state.waiting.set(msg.defer, from)
      return { noreply: true, state }
    }
    const f = state.waiting.get(msg.release)!
    state.waiting.delete(msg.release)
    reply(f, msg.value)
    return { reply: 0, state }
  },
  handleCast(msg, state) {
    if (msg === 'crash') throw new Error('cast crash')
    if (msg === 'asyncCrash') return Promise.reject(new Error('async crash'))
    return { ...state, n: state.n + 1 }
  },
}
let reply: <R>(from: From<R>, v: R) => void

describe('GenServer', () => {
  it('handles casts in order and answers calls', async () => {
    const { system } = testSystem()
    reply = system.reply.bind(system)
    const ref = await system.start(Counter, 5)
    for (let i = 0; i < 1000; i++) system.cast(ref, 'inc')
    expect(await system.call(ref, 'get')).toBe(1005)
  })

  it('supports async init and async handlers', async () => {
    const { system } = testSystem()
    const Slow: GenServer<number, number, 'get', 'add'> = {
      init: async (n) => {
        await tick()
        return n
      },
      handleCast: async (_m, s) => {
        await tick()
        return s + 1
      },
      handleCall: (_m, _f, s) => ({ reply: s, state: s }),
    }
    const ref = await system.start(Slow, 1)
    system.cast(ref, 'add')
    system.cast(ref, 'add')
    expect(await system.call(ref, 'get')).toBe(3)
  })

  it('messages sent while an async init runs wait for it, then run in order', async () => {
    const { system } = testSystem()
    let release!: () => void
    const gate = new Promise<void>((r) => {
      release = r
    })
    const Gated: GenServer<void, number[], 'get', number, number[]> = {
      init: async (_a, self) => {
        system.cast(self, 1)
        await gate
        return []
      },
      handleCast: (m, s) => [...s, m],
      handleCall: (_m, _f, s) => ({ reply: s, state: s }),
    }
    const starting = system.start(Gated, undefined, { name: 'gated' })
    const ref = system.registry.whereis('gated')!
    system.cast(ref, 2)
    const got = system.call(ref, 'get')
    release()
    expect(await starting).toBe(ref)
    expect(await got).toEqual([1, 2])
  })

  it('a deferred reply answers the right caller', async () => {
    const { system } = testSystem()
    reply = system.reply.bind(system)
    const ref = await system.start(Counter, 0)
    const a = system.call(ref, { defer: 'a' })
    const b = system.call(ref, { defer: 'b' })
    await system.call(ref, { release: 'b', value: 22 })
    await system.call(ref, { release: 'a', value: 11 })
    expect(await a).toBe(11)
    expect(await b).toBe(22)
  })

  it('call times out with CallTimeoutError, and a call to a dead process rejects with NoProcError', async () => {
    const { system } = testSystem()
    reply = system.reply.bind(system)
    const ref = await system.start(Counter, 0)
    const err = await system.call(ref, { defer: 'never' }, { timeout: 20 }).catch((e) => e)
    expect(err).toBeInstanceOf(CallTimeoutError)
    expect(err.code).toBe('call_timeout')
    await system.stop(ref)
    await expect(system.call(ref, 'get')).rejects.toBeInstanceOf(NoProcError)
    expect(system.cast(ref, 'inc')).toBe(false)
  })

  it('a throw in handleCall crashes the process and the caller gets the error', async () => {
    const { system, crashes } = testSystem()
    const ref = await system.start(Counter, 0)
    const err = await system.call(ref, 'boom').catch((e) => e)
    expect(err).toBeInstanceOf(ExitError)
    expect((err as ExitError).cause).toBeInstanceOf(Error)
    expect(system.isAlive(ref)).toBe(false)
    expect(crashes.map((c) => c.phase)).toEqual(['handleCall'])
    expect(await system.whenExited(ref)).toEqual({ error: expect.any(Error) })
  })

  it('a throw in handleCast or a rejected async handler crashes the process; queued callers get ExitError', async () => {
    const { system, crashes } = testSystem()
    const a = await system.start(Counter, 0)
    system.cast(a, 'crash')
    const pending = system.call(a, 'get')
    await expect(pending).rejects.toBeInstanceOf(ExitError)
    const b = await system.start(Counter, 0)
    system.cast(b, 'asyncCrash')
    const reason = await system.whenExited(b)
    expect((reason as { error: Error }).error.message).toBe('async crash')
    expect(crashes.map((c) => c.phase)).toEqual(['handleCast', 'handleCast'])
  })

  it('stops from handleCall with {stop}, replying first, and runs terminate', async () => {
    const { system } = testSystem()
    const seen: unknown[] = []
    const ref = await system.start({ ...Counter, terminate: (reason) => void seen.push(reason) }, 0)
    expect(await system.call(ref, 'stop')).toBe(-1)
    expect(await system.whenExited(ref)).toBe('normal')
    expect(seen).toEqual(['normal'])
  })

  it('init failure rejects start with init_failed and reports it', async () => {
    const { system, crashes } = testSystem()
    const Bad: GenServer<void, void> = {
      init: () => {
        throw new Error('nope')
      },
    }
    const err = await system.start(Bad, undefined).catch((e) => e)
    expect(err).toBeInstanceOf(ActorError)
    expect(err.code).toBe('init_failed')
    expect(crashes[0]?.phase).toBe('init')
    expect(system.processCount).toBe(0)
  })

  it('init timeout kills a slow init', async () => {
    const { system } = testSystem()
    const Slow: GenServer<void, void> = { init: () => new Promise(() => {}) }
    const err = await system.start(Slow, undefined, { initTimeout: 20 }).catch((e) => e)
    expect(err.code).toBe('init_timeout')
    expect(system.processCount).toBe(0)
  })

  it('handleInfo receives send, sendAfter timers; cancelTimer prevents delivery', async () => {
    const { system } = testSystem()
    const Inbox: GenServer<void, string[], 'get', never, string[], string> = {
      init: () => [],
      handleInfo: (m, s) => [...s, typeof m === 'string' ? m : m.type],
      handleCall: (_m, _f, s) => ({ reply: s, state: s }),
    }
    const ref = await system.start(Inbox, undefined)
    system.send(ref, 'hello')
    system.sendAfter(ref, 'later', 5)
    const t = system.sendAfter(ref, 'never', 5)
    expect(system.cancelTimer(t)).toBe(true)
    expect(system.cancelTimer(t)).toBe(false)
    await new Promise((r) => setTimeout(r, 30))
    expect(await system.call(ref, 'get')).toEqual(['hello', 'later'])
  })

  it('cancels all timers of a process when it exits', async () => {
    const { system } = testSystem()
    const ref = await system.start(Counter, 0)
    // Fake setTimeout only, so the count is this test's timers alone, not whatever else the worker has pending.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    onTestFinished(() => {
      vi.useRealTimers()
    })
    system.sendAfter(ref, 'x' as never, 10_000)
    system.sendAfter(ref, 'y' as never, 10_000)
    expect(system.processInfo(ref)?.timers).toBe(2)
    expect(vi.getTimerCount()).toBe(2)
    await system.stop(ref)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('bounded mailbox: drop-newest and drop-oldest count drops, reject throws MailboxFullError', async () => {
    const { system } = testSystem()
    const newest = await system.start(Counter, 0, { mailbox: { capacity: 10, overflow: 'drop-newest' } })
    for (let i = 0; i < 25; i++) system.cast(newest, 'inc')
    expect(system.processInfo(newest)?.dropped).toBe(15)
    await tick()
    expect(await system.call(newest, 'get')).toBe(10)

    const oldest = await system.start(Counter, 0, { mailbox: { capacity: 10, overflow: 'drop-oldest' } })
    const evicted = system.call(oldest, 'get')
    for (let i = 0; i < 12; i++) system.cast(oldest, 'inc')
    await expect(evicted).rejects.toBeInstanceOf(MailboxFullError)
    expect(system.processInfo(oldest)?.dropped).toBe(3)
    await tick()
    expect(await system.call(oldest, 'get')).toBe(10)

    const strict = await system.start(Counter, 0, { mailbox: { capacity: 2 } })
    system.cast(strict, 'inc')
    system.cast(strict, 'inc')
    expect(() => system.cast(strict, 'inc')).toThrow(MailboxFullError)
    await expect(system.call(strict, 'get')).rejects.toBeInstanceOf(MailboxFullError)
    expect(system.processInfo(strict)?.dropped).toBe(2)
  })

  it('the mailbox keeps order across ring growth with 100,000 queued casts', async () => {
    const { system } = testSystem()
    const seen: number[] = []
    const Rec: GenServer<void, void, 'done', number, boolean> = {
      init: () => undefined,
      handleCast: (m) => void seen.push(m),
      handleCall: (_m, _f, s) => ({ reply: true, state: s }),
    }
    const ref = await system.start(Rec, undefined)
    for (let i = 0; i < 100_000; i++) system.cast(ref, i)
    await system.call(ref, 'done')
    expect(seen.length).toBe(100_000)
    expect(seen.every((v, i) => v === i)).toBe(true)
  })
})

describe('monitors and links', () => {
  const Watcher: GenServer<void, SystemMessage[], 'get', never, SystemMessage[], never> = {
    init: () => [],
    handleInfo: (m, s) => [...s, m as SystemMessage],
    handleCall: (_m, _f, s) => ({ reply: s, state: s }),
  }

  it('monitor delivers DOWN with the reason, and noproc for a dead target; demonitor stops it', async () => {
    const { system } = testSystem()
    const w = await system.start(Watcher, undefined)
    const a = await system.start(Counter, 0)
    const b = await system.start(Counter, 0)
    const c = await system.start(Counter, 0)
    const ma = system.monitor(w, a)
    const mc = system.monitor(w, c)
    expect(system.demonitor(mc)).toBe(true)
    system.cast(a, 'crash')
    await system.stop(b)
    system.monitor(w, b)
    await system.stop(c)
    await until(() => !system.isAlive(a))
    const msgs = await system.call(w, 'get')
    expect(msgs).toHaveLength(2)
    expect(msgs[0]).toMatchObject({ type: 'DOWN', monitor: ma, ref: a, reason: { error: expect.any(Error) } })
    expect(msgs[1]).toMatchObject({ type: 'DOWN', ref: b, reason: 'noproc' })
  })

  it('links: abnormal exits propagate, normal ones do not; trapExit turns them into EXIT messages', async () => {
    const { system } = testSystem()
    const a = await system.start(Counter, 0)
    const b = await system.start(Counter, 0)
    system.link(a, b)
    await system.stop(a, 'normal')
    expect(system.isAlive(b)).toBe(true)

    const c = await system.start(Counter, 0)
    system.link(b, c)
    system.cast(c, 'crash')
    expect(await system.whenExited(b)).toEqual({ error: expect.any(Error) })

    const w = await system.start(Watcher, undefined, { trapExit: true })
    const d = await system.start(Counter, 0)
    const e = await system.start(Counter, 0)
    system.link(w, d)
    system.link(w, e)
    system.unlink(w, e)
    system.cast(d, 'crash')
    system.cast(e, 'crash')
    await until(() => !system.isAlive(d) && !system.isAlive(e))
    const msgs = await system.call(w, 'get')
    expect(msgs).toEqual([{ type: 'EXIT', from: d, reason: { error: expect.any(Error) } }])
    expect(system.isAlive(w)).toBe(true)
  })

  it("exit(ref, 'kill') cannot be trapped and linked processes see 'killed'", async () => {
    const { system } = testSystem()
    const w = await system.start(Watcher, undefined, { trapExit: true })
    const t = await system.start(Watcher, undefined, { trapExit: true })
    system.link(w, t)
    system.exit(t, 'kill')
    expect(system.isAlive(t)).toBe(false)
    expect(await system.call(w, 'get')).toEqual([{ type: 'EXIT', from: t, reason: 'killed' }])
  })
})

describe('ActorSystem', () => {
  it('two systems in one process stay independent', async () => {
    const one = new ActorSystem({ onError: () => {} })
    const two = new ActorSystem({ onError: () => {} })
    const a = await one.start(Counter, 1, { name: 'counter' })
    const b = await two.start(Counter, 2, { name: 'counter' })
    expect(one.registry.whereis('counter')).toBe(a)
    expect(two.registry.whereis('counter')).toBe(b)
    await one.shutdown()
    expect(one.processCount).toBe(0)
    expect(two.processCount).toBe(1)
    expect(await two.call(b, 'get')).toBe(2)
    await two.shutdown()
  })

  it('onExit sees every exit and a throwing onError hook does not break the system', async () => {
    const exits: unknown[] = []
    const system = new ActorSystem({
      onError: () => {
        throw new Error('bad hook')
      },
      onExit: (_ref, reason) => exits.push(reason),
    })
    const errors: unknown[] = []
    const orig = console.error
    console.error = (...a: unknown[]) => void errors.push(a)
    try {
      const a = await system.start(Counter, 0)
      system.cast(a, 'crash')
      await system.whenExited(a)
    } finally {
      console.error = orig
    }
    expect(exits).toEqual([{ error: expect.any(Error) }])
    expect(errors).toHaveLength(1)
  })
})

describe('kills during async work', () => {
  it('a caller whose async handleCall never settles gets ExitError when the process is killed', async () => {
    const { system } = testSystem()
    const Hung: GenServer<void, void, 'hang', never, void> = {
      init: () => undefined,
      handleCall: () => new Promise(() => {}),
    }
    const ref = await system.start(Hung, undefined)
    const pending = system.call(ref, 'hang', { timeout: Number.POSITIVE_INFINITY })
    await tick()
    system.exit(ref, 'kill')
    await expect(pending).rejects.toMatchObject({ code: 'exit', reason: 'killed' })
  })
})
