import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { connect, type GapEvent } from '../src/index.js'
import { message } from './scriptedServer.js'

/**
 * The client's delivery rule must not depend on how the network chunked the frames. Over real TCP a
 * test cannot choose where a chunk ends, so this one plays the server through an in-memory socket
 * that hands the client its frames in bursts chosen by fast-check (one burst = one chunk: delivered
 * synchronously, with a macrotask between bursts). The first burst rides with the join's answer, so
 * it lands inside the post-join hold; later ones may land inside it or after it.
 */
class MemorySocket {
  static opened: MemorySocket[] = []
  readyState = 1
  sent: any[] = []
  onmessage: ((event: { data: unknown }) => void) | null = null
  onclose: ((event: { code: number; reason: string }) => void) | null = null
  onerror: ((event: unknown) => void) | null = null
  constructor() {
    MemorySocket.opened.push(this)
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data))
  }
  close(code = 1000): void {
    if (this.readyState === 3) return
    this.readyState = 3
    queueMicrotask(() => this.onclose?.({ code, reason: '' }))
  }
  push(...frames: object[]): void {
    for (const frame of frames) this.onmessage?.({ data: JSON.stringify(frame) })
  }
}

const macrotask = () => new Promise<void>((resolve) => setTimeout(resolve, 0))

/** The documented rule, applied to one ordered stream: drop at or below the last offset, report jumps. */
function model(start: number, offsets: number[]) {
  let last = start
  const delivered: number[] = []
  const gaps: [number, number][] = []
  for (const offset of offsets) {
    if (offset <= last) continue
    if (offset > last + 1) gaps.push([last + 1, offset - 1])
    delivered.push(offset)
    last = offset
  }
  return { delivered, gaps }
}

async function run(start: number, bursts: number[][]) {
  MemorySocket.opened = []
  const client = connect('ws://memory/ws', { WebSocket: MemorySocket as never })
  try {
    const joining = client.join('r', { username: 'me' })
    await expect.poll(() => MemorySocket.opened.length).toBe(1)
    const socket = MemorySocket.opened[0]!
    socket.push({
      type: 'welcome',
      connectionId: 'c',
      protocol: 1,
      serverTime: Date.now(),
      heartbeatMs: 30_000,
    })
    await expect.poll(() => socket.sent.find((f) => f.type === 'join')).toBeTruthy()
    const join = socket.sent.find((f) => f.type === 'join')
    const backlog = Array.from({ length: Math.min(start, 3) }, (_, i) => message(start - i)).reverse()
    socket.push(
      { type: 'joined', replyTo: join.id, roomId: 'r', users: ['me'], count: 1, offset: start, epoch: 'e1' },
      ...(start > 0 ? [{ type: 'history', roomId: 'r', messages: backlog }] : []),
      ...(bursts[0] ?? []).map((o) => message(o)),
    )
    const room = await joining
    const delivered: number[] = []
    const gaps: [number, number][] = []
    room.on('message', (m) => delivered.push(m.offset))
    room.on('gap', (g: GapEvent) => gaps.push([g.from, g.to]))
    for (const burst of bursts.slice(1)) {
      await macrotask()
      socket.push(...burst.map((o) => message(o)))
    }
    const expected = model(start, bursts.flat())
    await expect.poll(() => delivered).toEqual(expected.delivered)
    // Nothing more arrives after a further turn of the loop.
    await macrotask()
    return { delivered, gaps, expected }
  } finally {
    client.close()
  }
}

describe('live delivery is independent of chunking', () => {
  it('the same frames give the same messages and gaps however they are split into chunks', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 5 }),
        fc.array(fc.array(fc.integer({ min: 0, max: 14 }), { maxLength: 5 }), { minLength: 1, maxLength: 5 }),
        async (start, bursts) => {
          const { delivered, gaps, expected } = await run(start, bursts)
          expect(delivered).toEqual(expected.delivered)
          expect(gaps).toEqual(expected.gaps)
        },
      ),
      { numRuns: 60 },
    )
  })

  it('one frame sequence, all in the join chunk or one chunk each, gives one result', async () => {
    const offsets = [2, 3, 3, 6, 5, 7]
    const together = await run(2, [offsets])
    const apart = await run(2, [[], ...offsets.map((o) => [o])])
    expect(together.delivered).toEqual([3, 6, 7])
    expect(together.gaps).toEqual([[4, 5]])
    expect(apart.delivered).toEqual(together.delivered)
    expect(apart.gaps).toEqual(together.gaps)
  })
})
