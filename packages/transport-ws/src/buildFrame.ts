import { constants, deflateRawSync } from 'node:zlib'

/**
 * One unmasked server frame (RFC 6455 §5.2) in a single buffer, built once per
 * publish, so each subscriber costs exactly one socket write and no re-encoding.
 * `compressed` sets RSV1: the payload is a permessage-deflate message (RFC 7692).
 */
export function buildFrame(data: string | Uint8Array, compressed = false): Buffer {
  const text = typeof data === 'string'
  const length = text ? Buffer.byteLength(data) : data.byteLength
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10
  const frame = Buffer.allocUnsafe(headerLength + length)
  frame[0] = 0x80 | (compressed ? 0x40 : 0) | (text ? 0x1 : 0x2)
  if (headerLength === 2) frame[1] = length
  else if (headerLength === 4) {
    frame[1] = 126
    frame.writeUInt16BE(length, 2)
  } else {
    frame[1] = 127
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2)
    frame.writeUInt32BE(length >>> 0, 6)
  }
  if (text) frame.write(data, headerLength)
  else frame.set(data, headerLength)
  return frame
}

/**
 * The same message as one permessage-deflate frame with no context (RFC 7692 §7.2.1:
 * deflated with a sync flush, the trailing 00 00 ff ff removed). Only sockets that
 * negotiated `server_no_context_takeover` may receive it: their inflater starts every
 * message from an empty window, so one compressed frame serves every such subscriber.
 * Built with the window the subscriber allowed (`server_max_window_bits`).
 */
export function buildDeflatedFrame(data: string | Uint8Array, windowBits: number): Buffer {
  const input = typeof data === 'string' ? Buffer.from(data) : data
  const deflated = deflateRawSync(input, { windowBits, finishFlush: constants.Z_SYNC_FLUSH })
  const frame = buildFrame(deflated.subarray(0, deflated.length - 4), true)
  // buildFrame marked it binary (its payload is bytes); the message's own opcode is what counts
  frame[0] = 0x80 | 0x40 | (typeof data === 'string' ? 0x1 : 0x2)
  return frame
}
