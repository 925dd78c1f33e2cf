import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { editor, live, startYjsServer, transports } from './helpers.js'

// Runs per transport. CI keeps it modest; YJS_CONVERGENCE_RUNS=50 for a longer search.
const runs = Number(process.env.YJS_CONVERGENCE_RUNS ?? 4)

type Op =
  | { kind: 'insert'; who: number; at: number; text: string }
  | { kind: 'delete'; who: number; at: number; length: number }
  | { kind: 'drop'; who: number }
  | { kind: 'turn' }

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('insert' as const),
      who: fc.nat(4),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      text: fc.string({ minLength: 1, maxLength: 6 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('delete' as const),
      who: fc.nat(4),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      length: fc.integer({ min: 1, max: 4 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), who: fc.nat(4) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'turn' as const }) },
)

/** Lets sockets and timers run for one turn of the event loop (not a timed wait). */
const turn = () => new Promise((resolve) => setImmediate(resolve))

describe.each(transports)('convergence over $name', ({ factory }) => {
  it('random concurrent edits of 2–5 editors with random drops end identical everywhere, equal to the reference merge', async () => {
    const { server, behaviour, url } = await startYjsServer(factory)
    let run = 0
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 5 }),
        fc.array(op, { minLength: 5, maxLength: 40 }),
        async (n, ops) => {
          const roomId = `doc-${run++}`
          const editors = Array.from({ length: n }, (_, i) => editor(url, roomId, `u${i}`))
          // The reference: every local edit of every editor, merged by Yjs alone.
          const reference = new Y.Doc()
          for (const e of editors) {
            e.doc.on('update', (update: Uint8Array, origin: unknown) => {
              if (origin !== e.provider) Y.applyUpdate(reference, update)
            })
          }
          try {
            for (const e of editors) await expect.poll(() => e.provider.synced, live).toBe(true)
            for (const o of ops) {
              if (o.kind === 'turn') {
                await turn()
                continue
              }
              const e = editors[o.who % n]!
              const text = e.doc.getText('text')
              if (o.kind === 'insert')
                text.insert(Math.floor(o.at * (text.length + 1)) % (text.length + 1), o.text)
              else if (o.kind === 'delete' && text.length > 0) {
                const at = Math.floor(o.at * text.length) % text.length
                text.delete(at, Math.min(o.length, text.length - at))
              } else if (o.kind === 'drop' && e.client.state === 'open') {
                server.terminate(e.client.welcome!.connectionId)
              }
            }
            const expected = reference.getText('text').toString()
            const poll = { timeout: 20_000 }
            for (const e of editors) await expect.poll(() => e.text(), poll).toBe(expected)
            await expect.poll(() => behaviour.rooms.get(roomId)?.text(), poll).toBe(expected)
          } finally {
            for (const e of editors) {
              e.provider.destroy()
              e.client.close()
            }
          }
        },
      ),
      { numRuns: runs, endOnFailure: true },
    )
  }, 180_000)
})
