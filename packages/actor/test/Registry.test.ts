import { describe, expect, it } from 'vitest'
import { AlreadyRegisteredError, type GenServer, NoProcError, NotRegisteredError } from '../src/index.js'
import { testSystem } from './helpers.js'

const Inbox: GenServer<void, unknown[], 'get', 'crash', unknown[], string> = {
  init: () => [],
  handleInfo: (m, s) => [...s, m],
  handleCast: () => {
    throw new Error('crash')
  },
  handleCall: (_m, _f, s) => ({ reply: s, state: s }),
}

describe('Registry', () => {
  it('unique keys: register, whereis, lookup with metadata, unregister', async () => {
    const { system } = testSystem()
    const reg = system.createRegistry<{ role: string }>({ keys: 'unique' })
    const a = await system.start(Inbox, undefined)
    const b = await system.start(Inbox, undefined)
    reg.register('room:1', a, { role: 'host' })
    expect(() => reg.register('room:1', b)).toThrow(AlreadyRegisteredError)
    expect(reg.whereis('room:1')).toBe(a)
    expect(reg.lookup('room:1')).toEqual({ ref: a, meta: { role: 'host' } })
    expect(reg.keysOf(a)).toEqual(['room:1'])
    expect(reg.unregister('room:1')).toBe(true)
    expect(reg.whereis('room:1')).toBeUndefined()
    expect(() => reg.lookup('room:1')).toThrow(NotRegisteredError)
    await system.stop(b)
    expect(() => reg.register('x', b)).toThrow(NoProcError)
  })

  it('duplicate keys: many processes per key, dispatch sends to all of them', async () => {
    const { system } = testSystem()
    const reg = system.createRegistry({ keys: 'duplicate' })
    const a = await system.start(Inbox, undefined)
    const b = await system.start(Inbox, undefined)
    reg.register('topic', a, 1)
    reg.register('topic', b, 2)
    expect(() => reg.register('topic', a)).toThrow(AlreadyRegisteredError)
    expect(reg.entries('topic').map((e) => e.meta)).toEqual([1, 2])
    expect(reg.dispatch('topic', 'hello')).toBe(2)
    expect(await system.call(a, 'get')).toEqual(['hello'])
    expect(await system.call(b, 'get')).toEqual(['hello'])
    expect(reg.unregister('topic', a)).toBe(true)
    expect(reg.entries('topic').map((e) => e.ref)).toEqual([b])
    expect(reg.dispatch('nobody', 'x')).toBe(0)
  })

  it('entries disappear when the process exits, including after a crash', async () => {
    const { system } = testSystem()
    const dup = system.createRegistry({ keys: 'duplicate' })
    const a = await system.start(Inbox, undefined, { name: 'inbox' })
    dup.register('k1', a)
    dup.register('k2', a)
    system.cast(a, 'crash')
    await system.whenExited(a)
    expect(system.registry.whereis('inbox')).toBeUndefined()
    expect(dup.size).toBe(0)
    const b = await system.start(Inbox, undefined, { name: 'inbox' })
    expect(system.registry.whereis('inbox')).toBe(b)
    await expect(system.start(Inbox, undefined, { name: 'inbox' })).rejects.toBeInstanceOf(
      AlreadyRegisteredError,
    )
  })
})
