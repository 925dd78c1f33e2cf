import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ActorSystem, type ChildSpec, type GenServer, type RestartType, Supervisor } from '../src/index.js'
import { tick } from './helpers.js'

const Worker: GenServer<void, null, 'get', 'crash', string> = {
  init: () => null,
  handleCall: (_m, _f, s) => ({ reply: 'ok', state: s }),
  handleCast: () => {
    throw new Error('crash')
  },
}

type Cmd =
  | { kind: 'start'; restart: RestartType }
  | { kind: 'crash' | 'stopNormal' | 'kill' | 'terminate'; pick: number }

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({
    kind: fc.constant('start' as const),
    restart: fc.constantFrom<RestartType>('permanent', 'transient', 'temporary'),
  }),
  fc.record({
    kind: fc.constantFrom('crash' as const, 'stopNormal' as const, 'kill' as const, 'terminate' as const),
    pick: fc.nat(),
  }),
)

async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) await tick()
}

describe('supervisor tree under random start / crash / stop', () => {
  it('keeps every permanent child running (or has escalated) and leaks nothing in the registry', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('one_for_one' as const, 'one_for_all' as const, 'rest_for_one' as const),
        fc.integer({ min: 0, max: 4 }),
        fc.array(cmd, { minLength: 1, maxLength: 25 }),
        async (strategy, maxRestarts, cmds) => {
          const system = new ActorSystem({ onError: () => {} })
          try {
            let n = 0
            const terminated = new Set<string>()
            const root = await Supervisor.start(system, {
              strategy: 'one_for_one',
              intensity: { maxRestarts: 1000, withinMs: 60_000 },
              children: [
                Supervisor.childSpec('mid', {
                  strategy,
                  intensity: { maxRestarts, withinMs: 60_000 },
                  children: [],
                }),
              ],
            })
            const mid = async () => (await Supervisor.whichChildren(root))[0]?.ref
            for (const c of cmds) {
              const sup = await mid()
              if (sup === undefined) break
              if (c.kind === 'start') {
                const id = `w${n++}`
                const spec: ChildSpec = {
                  id,
                  behaviour: Worker,
                  args: undefined,
                  restart: c.restart,
                  options: { name: id },
                }
                await Supervisor.startChild(sup, spec).catch(() => {}) // mid may be restarting
              } else {
                const kids = (await Supervisor.whichChildren(sup).catch(() => [])).filter(
                  (k) => k.ref !== undefined,
                )
                const kid = kids[c.pick % Math.max(1, kids.length)]
                if (kid?.ref === undefined) continue
                if (c.kind === 'crash') system.cast(kid.ref, 'crash')
                else if (c.kind === 'stopNormal') await system.stop(kid.ref, 'normal').catch(() => {})
                else if (c.kind === 'kill') system.exit(kid.ref, 'kill')
                else {
                  terminated.add(kid.id)
                  await Supervisor.terminateChild(sup, kid.id).catch(() => {})
                }
              }
              await settle()
            }
            await settle()
            expect(system.isAlive(root)).toBe(true)
            const sup = await mid()
            expect(sup).toBeDefined()
            const kids = await Supervisor.whichChildren(sup!)
            for (const k of kids) {
              // A permanent child may be down only if it was stopped on purpose with terminateChild.
              if (k.restart === 'permanent' && k.ref === undefined) expect(terminated.has(k.id)).toBe(true)
              if (k.ref !== undefined) expect(system.isAlive(k.ref)).toBe(true)
            }
            const live = kids.filter((k) => k.ref !== undefined).length
            expect(system.processCount).toBe(2 + live)
            // No leaks: every name in the registry belongs to a live child of the current mid supervisor.
            expect(system.registry.size).toBe(live)
            for (const k of kids) if (k.ref !== undefined) expect(system.registry.whereis(k.id)).toBe(k.ref)
          } finally {
            await system.shutdown({ timeout: 100 })
          }
          expect(system.processCount).toBe(0)
          expect(system.registry.size).toBe(0)
        },
      ),
      { numRuns: 60 },
    )
  })
})
