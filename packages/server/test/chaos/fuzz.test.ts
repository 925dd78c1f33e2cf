import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { decodeClientFrame, defaultLimits } from '@hubbub/protocol'
import { encodeFrame, Opcode, RawClient } from '@hubbub/transport/testing'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import type { Frame, TestClient } from '../support/harness.js'
import { type FuzzCase, fuzzCase } from './fuzzFrames.js'
import { chaosServer, transports, waitForFrame } from './support.js'

/**
 * Frame fuzzing through real sockets: one attacker connection in `lobby` sends random
 * and mutated frames (fast-check) while alice and bob keep chatting there. Each case is
 * followed by a `ping` marker: the server must answer every frame the protocol decoder
 * refuses with an error frame before the marker's `pong`, or close the attacker with a
 * code documented for that transport (SECURITY.md); it never crashes, and the members
 * lose nothing. `FUZZ_RUNS` sets the cases per transport: the default is the issue's
 * 10,000: 16.5 s for both transports at load ~8 on 2 cores, 71 s with both cores also
 * held by busy loops (budget: < 90 s under load; lower it there if CI gets slower).
 */
const runs = Number(process.env.FUZZ_RUNS ?? 10_000)

/** Close codes the attacker may get, per transport (SECURITY.md "Hostile input and the answer it gets"). */
const documented: Record<string, number[]> = {
  ws: [1002, 1003, 1007, 1009],
  uws: [1003, 1006, 1009],
}

/** The decoder's refusals, and the name the server gives one about a `username` or `to` field. */
const refusals = new Set(['INVALID_JSON', 'INVALID_MESSAGE', 'UNKNOWN_MESSAGE', 'INVALID_USERNAME'])

/** A real `gc()` (vitest runs without --expose-gc), so the heap bound below measures live memory only. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc')
  ;(runInNewContext('gc') as () => void)()
}

describe.each(transports)('chaos over $name: frame fuzzing', ({ name, factory }) => {
  test(`${runs} random and mutated frames: documented answers only, no crash, no loss`, async () => {
    const maxBackpressure = 1024 * 1024
    const s = await chaosServer(factory, {
      // the attacker is not throttled: every case must reach the decoder
      limits: { ...defaultLimits, ratePerSecond: 1_000_000, rateBurst: 1_000_000 },
      transport: { maxBackpressure },
    })
    s.startChatter()
    collectGarbage()
    const heapBefore = process.memoryUsage().heapUsed

    let attacker: RawClient | undefined
    let joins = 0
    // not `s.raw`, which keeps every client (and the history it got) until the test ends
    const connectAttacker = async (): Promise<RawClient> => {
      const c = await RawClient.connect(s.port)
      await c.next() // welcome
      c.send(JSON.stringify({ type: 'join', roomId: 'lobby', username: `fuzzer${joins++}`, id: 'j' }))
      await waitForFrame(c, (f) => f.replyTo === 'j')
      // one write per case: Nagle would hold it back behind the previous case's ACK
      c.socket.setNoDelay(true)
      return c
    }
    const closes = new Map<number, number>()
    let marker = 0

    const property = fc.asyncProperty(
      fuzzCase({ maxPayload: defaultLimits.maxPayload, allowUnmasked: name === 'ws' }),
      async (input: FuzzCase) => {
        if (marker % 500 === 499) compact([s.alice, s.bob])
        attacker ??= await connectAttacker()
        const c = attacker
        const from = c.messages.length
        const id = `m${marker++}`
        const ping = encodeFrame({ opcode: Opcode.text, payload: JSON.stringify({ type: 'ping', id }) })
        c.sendRaw(Buffer.concat([input.bytes, ping]))
        const frames = await answerTo(c, id, from)
        if (!frames) {
          const info = await Promise.race([c.closed, new Promise((r) => setTimeout(r, 5000, undefined))])
          if (!info) throw new Error(`no answer and no close after ${input.kind}`)
          const { code } = info as { code: number }
          closes.set(code, (closes.get(code) ?? 0) + 1)
          attacker = undefined
          c.destroy()
          if (!documented[name]?.includes(code))
            throw new Error(`close ${code} after ${input.kind} is not documented for ${name}`)
          return
        }
        if (input.text !== undefined && !decodeClientFrame(input.text, false).ok) {
          const errors = frames.filter((f) => f.type === 'error' && refusals.has(String(f.code)))
          if (errors.length === 0) throw new Error(`no error frame for ${JSON.stringify(input.text)}`)
        }
      },
    )
    try {
      await fc.assert(property, { numRuns: runs, endOnFailure: true })
    } finally {
      attacker?.destroy()
    }
    compact([s.alice, s.bob])

    await s.expectUnharmed()
    expect(s.server.connections).toBeLessThanOrEqual(3)

    // Memory stays bounded by the configured limits: at most every connection's full
    // send buffer plus a frame in flight each, and a generous 32 MiB for everything else.
    collectGarbage()
    const grown = process.memoryUsage().heapUsed - heapBefore
    const bound = 32 * 1024 * 1024 + 3 * (maxBackpressure + defaultLimits.maxPayload)
    console.info(
      `fuzz ${name}: ${runs} cases, attacker closes ${JSON.stringify(Object.fromEntries(closes))}, heap +${(grown / 1048576).toFixed(1)} MiB (bound ${(bound / 1048576).toFixed(0)} MiB)`,
    )
    expect(grown).toBeLessThan(bound)
  }, 300_000)
})

/**
 * The members record every frame, the attacker's valid messages (up to 2,000 characters
 * each) included, in this process: the heap bound is about the server, so the attacker's
 * messages are cut down to what `expectUnharmed` reads of them (type, room, offset, sender).
 */
function compact(clients: TestClient[]): void {
  for (const c of clients) {
    const frames = c.frames as Frame[]
    for (const [i, f] of frames.entries())
      if (f.type === 'message' && f.from !== 'alice')
        frames[i] = { type: 'message', roomId: f.roomId, offset: f.offset, from: f.from }
  }
}

/**
 * The JSON frames received from index `from` up to the one answering `id`, or undefined
 * when the socket closes first (the caller then reads the close code).
 */
async function answerTo(c: RawClient, id: string, from: number): Promise<Frame[] | undefined> {
  const frames: Frame[] = []
  for (let i = from; ; i++) {
    if (c.messages.length <= i) {
      // waitForMessages only notices a close that happens while it waits
      if (c.isClosed) return undefined
      try {
        await c.waitForMessages(i + 1, 30_000)
      } catch {
        return undefined
      }
    }
    const m = c.messages[i]
    if (!m || m.binary) continue
    const f = JSON.parse(String(m.data)) as Frame
    frames.push(f)
    if (f.replyTo === id) return frames
  }
}
