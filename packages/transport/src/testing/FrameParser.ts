export interface ParsedFrame {
  fin: boolean
  rsv: number
  opcode: number
  masked: boolean
  payload: Buffer
}

/** Incremental parser for frames a server sends (any mask, any length). */
export class FrameParser {
  private buffer: Buffer = Buffer.alloc(0)

  /** Feeds bytes; returns every frame now complete. */
  push(chunk: Buffer): ParsedFrame[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk])
    const frames: ParsedFrame[] = []
    for (;;) {
      const buf = this.buffer
      if (buf.length < 2) break
      const b0 = buf[0] ?? 0
      const b1 = buf[1] ?? 0
      let len = b1 & 0x7f
      let offset = 2
      if (len === 126) {
        if (buf.length < 4) break
        len = buf.readUInt16BE(2)
        offset = 4
      } else if (len === 127) {
        if (buf.length < 10) break
        len = Number(buf.readBigUInt64BE(2))
        offset = 10
      }
      const masked = (b1 & 0x80) !== 0
      const keyAt = offset
      if (masked) offset += 4
      if (buf.length < offset + len) break
      const payload = Buffer.from(buf.subarray(offset, offset + len))
      if (masked) for (let i = 0; i < len; i++) payload[i] = (payload[i] ?? 0) ^ (buf[keyAt + (i & 3)] ?? 0)
      frames.push({ fin: (b0 & 0x80) !== 0, rsv: (b0 >> 4) & 7, opcode: b0 & 0x0f, masked, payload })
      this.buffer = buf.subarray(offset + len)
    }
    return frames
  }
}
