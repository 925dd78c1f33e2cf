import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { schemas } from '../src/index.js'
import { isServerFrame, parseServerFrame } from '../src/light.js'
import { serverSamples } from './sampleFrames.js'

describe('light server frame check (no zod)', () => {
  it('accepts every valid server frame, and tolerates extra fields', () => {
    for (const frame of serverSamples) {
      expect(isServerFrame(frame)).toBe(true)
      expect(isServerFrame({ ...frame, addedInV1_1: true })).toBe(true)
      expect(parseServerFrame(JSON.stringify(frame))).toEqual(frame)
    }
  })

  it('refuses unknown types, missing or mistyped required fields, and non-JSON', () => {
    expect(isServerFrame({ type: 'nope' })).toBe(false)
    expect(isServerFrame({ type: 'message', roomId: 'r', from: 'a', text: 'x', timestamp: 1 })).toBe(false)
    expect(
      isServerFrame({ type: 'joined', roomId: 'r', users: 'alice', count: 1, offset: 0, epoch: 'e' }),
    ).toBe(false)
    expect(isServerFrame({ type: 'typing', roomId: 'r', username: 'a', isTyping: 'yes' })).toBe(false)
    for (const value of [null, 1, 'x', [], {}]) expect(isServerFrame(value)).toBe(false)
    expect(parseServerFrame('{nope')).toBeNull()
    expect(parseServerFrame('{"type":"pong"}')).toBeNull()
  })

  it('accepts an app’s own server frames when told their types', () => {
    expect(isServerFrame({ type: 'moved', x: 1 })).toBe(false)
    expect(isServerFrame({ type: 'moved', x: 1 }, new Set(['moved']))).toBe(true)
  })

  it('never refuses what the zod schema accepts', () => {
    const changed = fc
      .tuple(fc.constantFrom(...serverSamples), fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }))
      .map(([frame, key, value]) => ({ ...frame, [key]: value }))
    fc.assert(
      fc.property(changed, (value) => !schemas.serverFrame.safeParse(value).success || isServerFrame(value)),
      { numRuns: 5_000 },
    )
  })
})
