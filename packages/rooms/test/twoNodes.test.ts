import { describe, expect, test } from 'vitest'
import { MemoryRoomLog } from '../src/index.js'
import { type Frame, setup, type TestMember } from './roomNode.js'

/** What a client makes of a member's frames: the offsets it would deliver (history, then live, each once). */
function delivered(frames: Frame[]): number[] {
  const joined = frames.find((f) => f.type === 'joined')!
  let last = joined.offset
  const out: number[] = []
  for (const f of frames) {
    if (f.type !== 'message' || f.offset <= last) continue
    out.push(f.offset)
    last = f.offset
  }
  return out
}

const messages = (m: TestMember) => m.frames.filter((f) => f.type === 'message')

describe('two room actors of one room on one log (two nodes)', () => {
  test('every member on both nodes sees the same offsets in the same order, and a joiner mid-stream gets no gap and no duplicate', async () => {
    const log = new MemoryRoomLog({ size: 1000 })
    const a = await setup({ log })
    const b = await setup({ log })
    const ann = await a.member('ann')
    const bob = await b.member('bob')
    await a.manager.join('r', { member: ann })
    await b.manager.join('r', { member: bob })

    const perNode = 60
    let joiner: TestMember | undefined
    // Both nodes publish at once, interleaved turn by turn; a third user joins on node b halfway.
    const publishing = (async () => {
      for (let i = 0; i < perNode; i++) {
        a.manager.cast('r', { type: 'message', member: ann, text: `a${i}` })
        b.manager.cast('r', { type: 'message', member: bob, text: `b${i}` })
        if (i === perNode / 2) {
          joiner = await b.member('cat')
          void b.manager.join('r', { member: joiner })
        }
        await new Promise((resolve) => setImmediate(resolve))
      }
    })()
    await publishing
    const total = 2 * perNode
    await expect.poll(() => messages(ann).at(-1)?.offset).toBe(total)
    await expect.poll(() => messages(bob).at(-1)?.offset).toBe(total)
    await expect.poll(() => joiner && messages(joiner).at(-1)?.offset).toBe(total)

    const sequence = (m: TestMember) => messages(m).map((f) => `${f.offset}:${f.text}`)
    expect(messages(ann).map((f) => f.offset)).toEqual(Array.from({ length: total }, (_, i) => i + 1))
    expect(sequence(bob)).toEqual(sequence(ann))
    // Every text once, in the order each node published its own.
    const texts = messages(ann).map((f) => f.text as string)
    expect(new Set(texts).size).toBe(total)
    expect(texts.filter((t) => t.startsWith('a'))).toEqual(Array.from({ length: perNode }, (_, i) => `a${i}`))

    const cat = joiner!
    const joined = cat.frames.find((f) => f.type === 'joined')!
    const history = cat.frames.find((f) => f.type === 'history')
    expect(joined.offset).toBeGreaterThan(0)
    expect(history?.messages.at(-1).offset).toBe(joined.offset)
    // What the client delivers after joined is exactly the rest of the room's stream.
    expect(delivered(cat.frames)).toEqual(
      Array.from({ length: total - joined.offset }, (_, i) => joined.offset + i + 1),
    )
    for (const f of messages(cat)) expect(f.text).toBe(texts[f.offset - 1])
  })
})
