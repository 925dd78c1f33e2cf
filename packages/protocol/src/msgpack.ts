import { Packr, Unpackr } from 'msgpackr'
import { CloseCode } from './CloseCode.js'
import type { DecodeResult } from './DecodeResult.js'
import type { FrameCodec } from './FrameCodec.js'
import type { ClientFrame, ServerFrame } from './frames.js'
import { protocol } from './protocol.js'

/** The `hubbub.v1.msgpack` encoding of a codec: binary frames, the same shapes and the same validation. */
export interface MsgpackCodec<C extends { type: string }, S extends { type: string }> {
  decodeClientFrame(data: string | Uint8Array, isBinary: boolean): DecodeResult<C>
  encodeServerFrame(frame: S): Uint8Array
  decodeServerFrame(data: Uint8Array): DecodeResult<S>
}

/**
 * Wraps a codec (the default protocol, one made by `createProtocol`, or an app's `defineMessages`)
 * for msgpack. Decoded values go through the codec's own guard and schemas, so a msgpack frame is
 * accepted exactly when its JSON twin would be.
 */
export function createMsgpackCodec<C extends { type: string }, S extends { type: string }>(
  codec: FrameCodec<C, S>,
): MsgpackCodec<C, S> {
  // Plain objects only: no records, no Maps; 64-bit integers come back as numbers.
  const packr = new Packr({ useRecords: false, variableMapSize: true })
  const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' })
  const unpack = (data: Uint8Array): { ok: true; value: unknown } | { ok: false } => {
    try {
      return { ok: true, value: unpackr.unpack(data) }
    } catch {
      return { ok: false }
    }
  }
  return {
    decodeClientFrame(data, isBinary) {
      if (!isBinary || typeof data === 'string') {
        return fail(
          'INVALID_MESSAGE',
          'text frames are not accepted on hubbub.v1.msgpack',
          CloseCode.UNSUPPORTED_DATA,
        )
      }
      // Untyped callers may pass anything: decoders never throw.
      if (!(data instanceof Uint8Array)) return fail('INVALID_MESSAGE', 'a frame must be a Uint8Array')
      if (data.byteLength > codec.limits.maxPayload) {
        return fail(
          'INVALID_MESSAGE',
          `frame is larger than ${codec.limits.maxPayload} bytes`,
          CloseCode.MESSAGE_TOO_BIG,
        )
      }
      const read = unpack(data)
      return read.ok
        ? codec.validateClientFrame(read.value)
        : fail('INVALID_JSON', 'frame is not valid msgpack')
    },
    encodeServerFrame: (frame) => packr.pack(frame),
    decodeServerFrame(data) {
      if (!(data instanceof Uint8Array)) return fail('INVALID_MESSAGE', 'a frame must be a Uint8Array')
      const read = unpack(data)
      return read.ok
        ? codec.validateServerFrame(read.value)
        : fail('INVALID_JSON', 'frame is not valid msgpack')
    },
  }
}

function fail(
  code: 'INVALID_JSON' | 'INVALID_MESSAGE',
  message: string,
  close?: CloseCode,
): DecodeResult<never> {
  return { ok: false, error: close === undefined ? { code, message } : { code, message, close } }
}

/** The msgpack codec of the default protocol. */
export const msgpackCodec: MsgpackCodec<ClientFrame, ServerFrame> = createMsgpackCodec(protocol)
