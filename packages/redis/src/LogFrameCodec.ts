import type { OutgoingFrame, SequencedFrame } from '@hubbub/rooms'
import { Packr, Unpackr } from 'msgpackr'

/**
 * How `RedisRoomLog` stores and publishes a frame: msgpack, so a binary payload (a `Uint8Array`,
 * a Yjs update say) comes back as bytes on every node instead of an object of numbered keys.
 * Entries written by older versions are JSON; they still decode: a JSON frame starts with `{`
 * (0x7b), which is never the first byte of a msgpack map (0x80–0x8f, 0xde, 0xdf).
 */
// Plain objects only: no records, no Maps; 64-bit integers come back as numbers.
const packr = new Packr({ useRecords: false, variableMapSize: true })
const unpackr = new Unpackr({
  useRecords: false,
  mapsAsObjects: true,
  int64AsType: 'number',
  copyBuffers: true,
})

const JSON_OBJECT = 0x7b

/** The bytes stored for `frame`; throws a `TypeError` for a value msgpack cannot hold. */
export function encodeLogFrame(frame: OutgoingFrame): Buffer {
  try {
    return packr.pack(frame)
  } catch (err) {
    throw new TypeError('the frame cannot be encoded as msgpack', { cause: err })
  }
}

/**
 * The frame in `data` (msgpack, or JSON from an older version), without its offset. Binary
 * values are copies, never views into `data`. Throws when `data` holds no frame.
 */
export function decodeLogFrame(data: Uint8Array): SequencedFrame {
  const value: unknown =
    data[0] === JSON_OBJECT ? JSON.parse(Buffer.from(data).toString('utf8')) : unpackr.unpack(data)
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new TypeError('a log entry does not hold a frame')
  return value as SequencedFrame
}

/** A room state as `RedisRoomStateStore` keeps it: any msgpack value (JSON values and bytes). */
export function encodeStateValue(value: unknown): Buffer {
  return packr.pack(value)
}

/** The state `encodeStateValue` stored. */
export function decodeStateValue(data: Uint8Array): unknown {
  return unpackr.unpack(data)
}
