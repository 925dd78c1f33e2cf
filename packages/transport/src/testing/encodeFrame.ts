/** WebSocket opcodes (RFC 6455 §5.2). */
export const Opcode = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const

export interface FrameSpec {
  opcode: number
  payload?: string | Uint8Array
  /** FIN bit; default true. */
  fin?: boolean
  /** RSV1..RSV3 as a 3-bit number (4 = RSV1); default 0. */
  rsv?: number
  /** Clients must mask; probes can turn it off. Default true. */
  mask?: boolean
}

/**
 * Builds one raw WebSocket frame, deliberately without validation so probes can
 * send frames a real client never would (unmasked, reserved opcodes, RSV bits).
 */
export function encodeFrame(spec: FrameSpec): Buffer {
  const payload =
    typeof spec.payload === 'string' ? Buffer.from(spec.payload) : Buffer.from(spec.payload ?? [])
  const mask = spec.mask ?? true
  const len = payload.length
  const lenBytes = len < 126 ? 0 : len < 65536 ? 2 : 8
  const header = Buffer.alloc(2 + lenBytes + (mask ? 4 : 0))
  header[0] = ((spec.fin ?? true) ? 0x80 : 0) | (((spec.rsv ?? 0) & 7) << 4) | (spec.opcode & 0x0f)
  if (lenBytes === 0) header[1] = len
  else if (lenBytes === 2) {
    header[1] = 126
    header.writeUInt16BE(len, 2)
  } else {
    header[1] = 127
    header.writeBigUInt64BE(BigInt(len), 2)
  }
  if (!mask) return Buffer.concat([header, payload])
  header[1] = (header[1] ?? 0) | 0x80
  const key = header.subarray(2 + lenBytes)
  for (let i = 0; i < 4; i++) key[i] = (Math.random() * 256) | 0
  const masked = Buffer.allocUnsafe(len)
  for (let i = 0; i < len; i++) masked[i] = (payload[i] ?? 0) ^ (key[i & 3] ?? 0)
  return Buffer.concat([header, masked])
}

/** The payload of a close frame: a 2-byte code and a UTF-8 reason. */
export function closePayload(code: number, reason = ''): Buffer {
  const buf = Buffer.alloc(2 + Buffer.byteLength(reason))
  buf.writeUInt16BE(code, 0)
  buf.write(reason, 2)
  return buf
}
