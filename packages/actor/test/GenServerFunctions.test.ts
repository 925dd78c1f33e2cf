import { describe, expect, it } from 'vitest'
import { defaultSystem, GenServer, type SystemMessage } from '../src/index.js'
import { testSystem } from './helpers.js'

type Msg = 'get' | 'quit'
const Room: GenServer<string, { topic: string; seen: string[] }, Msg, 'quit', unknown, string> = {
  init: (topic) => ({ topic, seen: [] }),
  handleCall: (_m, _f, s) => ({ reply: s.seen, state: s }),
  handleCast(_m, s, self) {
    // Stopping yourself from a handler takes effect once the handler returns.
    void GenServer.stop(self, 'normal')
    return s
  },
  handleInfo(m, s) {
    const label = typeof m === 'string' ? m : (m as SystemMessage).type
    return { ...s, seen: [...s.seen, label] }
  },
}

describe('GenServer functions', () => {
  it('act on the ref’s own system: call, cast, send, sendAfter, monitor, stop from inside a handler', async () => {
    const { system } = testSystem()
    const room = await GenServer.start(Room, 'lobby', { system })
    const watcher = await GenServer.start(Room, 'watcher', { system })
    const member = await GenServer.start(Room, 'member', { system })
    GenServer.monitor(watcher, member)
    GenServer.send(room, 'hello')
    GenServer.sendAfter(room, 'tick', 1)
    await new Promise((r) => setTimeout(r, 10))
    expect(await GenServer.call(room, 'get')).toEqual(['hello', 'tick'])
    GenServer.cast(member, 'quit')
    expect(await system.whenExited(member)).toBe('normal')
    expect(await GenServer.call(watcher, 'get')).toEqual(['DOWN'])
    expect(GenServer.isAlive(member)).toBe(false)
  })

  it('GenServer.start without a system uses the lazily created default system', async () => {
    const ref = await GenServer.start(Room, 'default')
    expect(ref.system).toBe(defaultSystem())
    await GenServer.stop(ref)
    expect(defaultSystem().processCount).toBe(0)
  })
})
