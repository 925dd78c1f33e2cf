import { encodeFrame, Opcode } from '@hubbub/transport/testing'
import fc from 'fast-check'
import { clientInputText } from '../../../protocol/test/arbitraries.js'
import { clientSamples } from '../../../protocol/test/sampleFrames.js'

/** One hostile input: the bytes to write, and the JSON text when they are one whole, well-formed text frame. */
export interface FuzzCase {
  kind: string
  bytes: Buffer
  /** Set when `bytes` is a single final, masked, unreserved text frame of valid UTF-8. */
  text?: string
}

const textFrame = (kind: string) => (text: string) => ({
  kind,
  bytes: encodeFrame({ opcode: Opcode.text, payload: text }),
  text,
})

const sampleTexts = clientSamples.map((f) => JSON.stringify(f))

/** JSON a decoder can choke on: truncated frames, huge numbers, deep nesting, unknown types. */
const hostileJson = fc.oneof(
  fc
    .tuple(fc.constantFrom(...sampleTexts), fc.nat())
    .map(([t, n]) => t.slice(0, n % Math.max(1, t.length - 1))),
  fc
    .tuple(
      fc.constantFrom('offset', 'limit', 'text', 'roomId', 'isTyping'),
      fc.constantFrom(
        '1e400',
        '-1e400',
        '9007199254740993',
        '1e-400',
        '-0',
        '123456789012345678901234567890',
      ),
    )
    .map(
      ([field, n]) =>
        `{"type":"get_history","roomId":"lobby","${field}":${n},"since":{"offset":${n},"epoch":"e"}}`,
    ),
  fc
    .tuple(fc.integer({ min: 10, max: 20_000 }), fc.constantFrom('[', '{"a":'))
    .map(
      ([depth, open]) =>
        `{"type":"message","roomId":"lobby","text":${open.repeat(depth)}1${(open === '[' ? ']' : '}').repeat(depth)}}`,
    ),
  fc
    .tuple(fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 2 }))
    .map(([type, extra]) => JSON.stringify({ type, roomId: 'lobby', extra })),
)

/** Bytes that may or may not be UTF-8, sent as one text frame. */
const rawText = fc.uint8Array({ maxLength: 64 }).map((bytes) => {
  const buf = Buffer.from(bytes)
  const decoded = buf.toString('utf8')
  const valid = Buffer.from(decoded).equals(buf)
  return {
    kind: 'raw text bytes',
    bytes: encodeFrame({ opcode: Opcode.text, payload: buf }),
    ...(valid ? { text: decoded } : {}),
  }
})

const binaryGarbage = fc.uint8Array({ minLength: 1, maxLength: 256 }).map((bytes) => ({
  kind: 'binary frame',
  bytes: encodeFrame({ opcode: Opcode.binary, payload: bytes }),
}))

/** A text frame just over `maxPayload`. */
const oversize = (maxPayload: number) =>
  fc.integer({ min: 1, max: 4096 }).map((extra) => ({
    kind: 'oversize',
    bytes: encodeFrame({ opcode: Opcode.text, payload: `"${'x'.repeat(maxPayload + extra)}"` }),
  }))

/** A valid frame's header bits changed: FIN, RSV, the opcode (close excepted) and, where allowed, the mask. */
const headerMutation = (allowUnmasked: boolean) =>
  fc
    .record({
      fin: fc.boolean(),
      rsv: fc.integer({ min: 0, max: 7 }),
      opcode: fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15),
      mask: allowUnmasked ? fc.boolean() : fc.constant(true),
      text: fc.constantFrom(...sampleTexts, 'x'.repeat(200)),
    })
    .map(({ fin, rsv, opcode, mask, text }) => ({
      kind: `header fin=${fin} rsv=${rsv} opcode=${opcode} mask=${mask}`,
      bytes: encodeFrame({ opcode, payload: text, fin, rsv, mask }),
      ...(fin && rsv === 0 && opcode === Opcode.text && mask ? { text } : {}),
    }))

/**
 * Every hostile input the fuzz test sends. Unmasked frames are left out on uws: uWS
 * does not check the mask bit (SECURITY.md), so the bytes after such a frame are read
 * as its payload and the peer is ended by the heartbeat, which a per-case answer cannot show.
 */
export function fuzzCase(options: { maxPayload: number; allowUnmasked: boolean }): fc.Arbitrary<FuzzCase> {
  return fc.oneof(
    { arbitrary: clientInputText.map(textFrame('protocol input')), weight: 8 },
    { arbitrary: hostileJson.map(textFrame('hostile json')), weight: 4 },
    { arbitrary: rawText, weight: 1 },
    { arbitrary: binaryGarbage, weight: 1 },
    { arbitrary: oversize(options.maxPayload), weight: 1 },
    { arbitrary: headerMutation(options.allowUnmasked), weight: 1 },
  )
}
