import * as zlib from 'node:zlib'

let table: Uint32Array | undefined

/** CRC-32 (IEEE), the same as zlib's; a table fallback for Node 20 before 20.15, which lacks `zlib.crc32`. */
function tableCrc32(data: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256)
    for (let n = 0; n < 256; n++) {
      let c = n
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
      table[n] = c >>> 0
    }
  }
  let crc = 0xffffffff
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

const native = (zlib as { crc32?: (data: Uint8Array) => number }).crc32

/** CRC-32 of `data`, as an unsigned 32-bit number. */
export const crc32: (data: Uint8Array) => number = native ? (data) => native(data) >>> 0 : tableCrc32

export { tableCrc32 }
