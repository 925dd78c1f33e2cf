import { describe, expect, it } from 'vitest'
import { ActorSystem, Application, type GenServer } from '../src/index.js'

const Echo: GenServer<void, number, 'ping', never, string> = {
  init: () => 0,
  handleCall: (_m, _f, s) => ({ reply: 'pong', state: s }),
}

describe('Application', () => {
  it('starts the root supervisor, then prepStop → tree stop → stop', async () => {
    const events: string[] = []
    const system = new ActorSystem({ onError: () => {} })
    const app = await Application.start(
      {
        start: (config: { port: number }) => ({
          supervisor: {
            strategy: 'one_for_one',
            children: [
              {
                id: 'echo',
                behaviour: { ...Echo, terminate: () => void events.push('terminate') },
                args: undefined,
                options: { name: 'echo' },
              },
            ],
          },
          state: { port: config.port },
        }),
        prepStop: (s) => void events.push(`prepStop:${s.port}`),
        stop: (s) => void events.push(`stop:${s.port}`),
      },
      { port: 7 },
      { system },
    )
    expect(app.state).toEqual({ port: 7 })
    expect(await system.call(system.registry.whereis('echo')!, 'ping')).toBe('pong')
    await app.stop()
    await app.stop()
    expect(events).toEqual(['prepStop:7', 'terminate', 'stop:7'])
    expect(await app.exited).toBe('shutdown')
    expect(system.processCount).toBe(0)
  })

  it('stops on SIGTERM when signal handling is on, and removes its listeners', async () => {
    const before = process.listenerCount('SIGTERM')
    const app = await Application.start(
      { start: () => ({ supervisor: { strategy: 'one_for_one', children: [] }, state: null }) },
      undefined,
      { signals: true, exitOnSignal: false },
    )
    expect(process.listenerCount('SIGTERM')).toBe(before + 1)
    process.emit('SIGTERM', 'SIGTERM')
    expect(await app.exited).toBe('shutdown')
    await app.stop()
    expect(process.listenerCount('SIGTERM')).toBe(before)
  })
})
