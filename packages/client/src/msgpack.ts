import { Packr, Unpackr } from 'msgpackr'
import type { WireFormat } from './Client.js'

// The same options as the server's codec: plain objects, no records; 64-bit integers come back as numbers.
const packr = new Packr({ useRecords: false, variableMapSize: true })
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' })

/**
 * The `hubbub.v1.msgpack` wire: one msgpack-encoded frame per binary WebSocket message. Unlike
 * JSON it carries `Uint8Array` fields as raw bytes (an app's binary payloads, e.g. Yjs updates);
 * received byte fields are `Uint8Array`s.
 *
 * ```ts
 * import { connect } from '@hubbub/client'
 * import { msgpackWire } from '@hubbub/client/msgpack'
 * const client = connect(url, { wire: msgpackWire })
 * ```
 */
export const msgpackWire: WireFormat = {
  protocol: 'hubbub.v1.msgpack',
  encode: (frame) => packr.pack(frame),
  decode: (data) =>
    toPlainBytes(unpackr.unpack(data instanceof ArrayBuffer ? new Uint8Array(data) : (data as Uint8Array))),
}

// msgpackr hands back Node Buffers for bin fields on Node; an app compares and stores plain
// Uint8Arrays the same way on every platform.
function toPlainBytes(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value
  if (value instanceof Uint8Array) {
    return value.constructor === Uint8Array
      ? value
      : new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = toPlainBytes(value[i])
    return value
  }
  const record = value as Record<string, unknown>
  for (const key in record) record[key] = toPlainBytes(record[key])
  return record
}
