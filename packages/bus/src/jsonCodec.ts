import type { EnvelopeCodec } from './EnvelopeCodec.js'

const BYTES = '$bytes'
const decoder = new TextDecoder()

/**
 * The default codec: JSON text. Byte payloads (any `Uint8Array`, `Buffer` included,
 * at any depth) travel as `{"$bytes": "<base64>"}` and come back as `Uint8Array`, so
 * binary frames survive a hop through a text channel.
 */
export const jsonCodec: EnvelopeCodec = {
  encode(envelope) {
    return JSON.stringify(envelope, function (this: Record<string, unknown>, key, value) {
      // `this[key]` is the value before `toJSON`: Buffer would otherwise arrive as {type, data}.
      const raw = this[key]
      if (raw instanceof Uint8Array) {
        return { [BYTES]: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') }
      }
      return value
    })
  },
  decode(data) {
    const text = typeof data === 'string' ? data : decoder.decode(data)
    return JSON.parse(text, (_key, value) => {
      if (typeof value === 'object' && value !== null && typeof value[BYTES] === 'string') {
        if (Object.keys(value).length === 1) return new Uint8Array(Buffer.from(value[BYTES], 'base64'))
      }
      return value
    })
  },
}
