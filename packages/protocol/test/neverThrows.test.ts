import { isDeepStrictEqual } from 'node:util'
import fc from 'fast-check'
import { describe, it } from 'vitest'
import { guardValue } from '../src/guardValue.js'
import { decodeClientFrame, defaultLimits, schemas } from '../src/index.js'
import { msgpackCodec } from '../src/msgpack.js'
import { clientInputText } from './arbitraries.js'

// About 8 s on an idle 2-core machine; the generous timeout only keeps a loaded CI box from failing it.
const fuzzTimeout = 120_000

const codes = new Set(['INVALID_JSON', 'INVALID_MESSAGE', 'UNKNOWN_MESSAGE'])

/** What zod alone says of a JSON text, after the guard: the reference the decoder must match exactly. */
function reference(text: string): { parsed: boolean; ok: boolean; data?: unknown } {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { parsed: false, ok: false }
  }
  if (guardValue(value, defaultLimits.maxDepth) !== undefined) return { parsed: true, ok: false }
  const result = schemas.clientFrame.safeParse(value)
  return result.success ? { parsed: true, ok: true, data: result.data } : { parsed: true, ok: false }
}

describe('100,000 random inputs never throw and never yield an ok frame that violates the schema', () => {
  it(
    'arbitrary strings, arbitrary JSON and mutated valid frames (60,000): decoder ≡ guard + zod',
    () => {
      fc.assert(
        // Boolean properties, not expect(): 100,000 runs must stay fast on a shared CI core.
        fc.property(clientInputText, (text) => {
          const result = decodeClientFrame(text, false)
          const expected = reference(text)
          if (result.ok !== expected.ok) return false
          // The fast path of `message` returns the parsed object itself: it must equal zod's output.
          if (result.ok)
            return (
              isDeepStrictEqual(result.frame, expected.data) &&
              schemas.clientFrame.safeParse(result.frame).success
            )
          return codes.has(result.error.code) && (expected.parsed || result.error.code === 'INVALID_JSON')
        }),
        { numRuns: 60_000 },
      )
    },
    fuzzTimeout,
  )

  it(
    'arbitrary bytes as text and binary frames, JSON and msgpack (40,000)',
    () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (bytes, isBinary) =>
          [decodeClientFrame(bytes, isBinary), msgpackCodec.decodeClientFrame(bytes, isBinary)].every(
            (result) =>
              result.ok ? schemas.clientFrame.safeParse(result.frame).success : codes.has(result.error.code),
          ),
        ),
        { numRuns: 40_000 },
      )
    },
    fuzzTimeout,
  )
})
