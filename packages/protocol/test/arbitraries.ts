import fc from 'fast-check'
import { clientFrameTypes } from '../src/index.js'
import { clientSamples, serverSamples } from './sampleFrames.js'

const boundaryLength = fc.constantFrom(0, 1, 2, 31, 32, 33, 63, 64, 65, 1999, 2000, 2001)
const roomIdChar = fc.constantFrom(...'abcXYZ019_.:-', ' ', '/', 'é', '\n', '\u0000')

/** Strings near every limit: lengths at the boundaries, or short ones of allowed and forbidden characters. */
export const edgyString = fc.oneof(
  fc.tuple(boundaryLength, fc.constantFrom('a', ' ', 'é', '\u0001')).map(([n, c]) => c.repeat(n)),
  fc.string({ unit: roomIdChar, maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc
    .tuple(fc.constantFrom(' ', '\t', ''), fc.string({ maxLength: 34 }), fc.constantFrom(' ', '\n', ''))
    .map(([a, b, c]) => a + b + c),
)

const anyValue = fc.oneof(edgyString, fc.jsonValue({ maxDepth: 3 }), fc.constant(undefined))
const extraKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'extra', 'type', 'id', 'roomId', 'text', 'since'),
  fc.string({ maxLength: 6 }),
)

type Mutable = Record<string, unknown>

/** Applies one random change to a copy of a frame: a field set to anything, removed, or added. */
function mutate(frames: readonly object[]) {
  return fc
    .tuple(
      fc.constantFrom(...frames),
      fc.array(
        fc.oneof(
          fc.tuple(fc.constant('set' as const), extraKey, anyValue),
          fc.tuple(fc.constant('delete' as const), extraKey, fc.constant(null)),
          fc.tuple(
            fc.constant('type' as const),
            fc.constantFrom(...clientFrameTypes, 'nope', ''),
            fc.constant(null),
          ),
        ),
        { minLength: 0, maxLength: 3 },
      ),
    )
    .map(([frame, changes]) => {
      const copy: Mutable = JSON.parse(JSON.stringify(frame))
      for (const [op, key, value] of changes) {
        // defineProperty, so `__proto__` becomes an own key as JSON.parse would make it.
        if (op === 'set')
          Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true })
        else if (op === 'delete') delete copy[key]
        else copy.type = key
      }
      return JSON.stringify(copy)
    })
}

/** `message` frames around every boundary of the hand-written fast path. */
const messageLike = fc
  .record(
    {
      type: fc.constant('message'),
      roomId: fc.oneof(edgyString, fc.string({ unit: roomIdChar, minLength: 1, maxLength: 66 })),
      text: fc.oneof(edgyString, fc.integer()),
      id: fc.oneof(edgyString, fc.integer()),
    },
    { requiredKeys: ['type'] },
  )
  .map((frame) => JSON.stringify(frame))

/** JSON text of valid frames, one change away from valid, or arbitrary. */
export const clientInputText = fc.oneof(
  { arbitrary: mutate(clientSamples), weight: 4 },
  { arbitrary: messageLike, weight: 3 },
  { arbitrary: mutate(serverSamples), weight: 1 },
  { arbitrary: fc.json({ maxDepth: 4 }), weight: 1 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 1 },
)
