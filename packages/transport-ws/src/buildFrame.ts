/**
 * One unmasked server frame (RFC 6455 §5.2) in a single buffer, built once per
 * publish, so each subscriber costs exactly one socket write and no re-encoding.
 */
export function buildFrame(data: string | Uint8Array): Buffer {
  const text = typeof data === 'string'
  const length = text ? Buffer.byteLength(data) : data.byteLength
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10
  const frame = Buffer.allocUnsafe(headerLength + length)
  frame[0] = 0x80 | (text ? 0x1 : 0x2)
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
