import { randomBytes } from 'node:crypto'
import type { Socket } from 'node:net'
import { type RawUpgradeOptions, rawUpgrade } from '@hubbub/transport/testing'

export type BenchClientOptions = Pick<RawUpgradeOptions, 'host' | 'path' | 'protocols'>

/**
 * A lean WebSocket client over raw TCP for load generation: it counts text
 * frames without decoding them (thousands of these share one core), answers
 * pings, and decodes frames only while `onText` is set (handshake phases).
 */
export class BenchClient {
  /** Text frames received since the last `resetCount`. */
  count = 0
  /** Byte length of the last text frame's payload. */
  lastLength = 0
  onText: ((text: string) => void) | undefined
  /** Called after each chunk that added to `count`. */
  onCount: ((added: number) => void) | undefined
  closeCode: number | undefined
  private pending: Buffer | undefined
  private readonly mask = randomBytes(4)

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('error', () => {})
    socket.on('close', () => {
      this.closeCode ??= 1006
    })
  }

  static async connect(port: number, options: BenchClientOptions = {}): Promise<BenchClient> {
    const { status, socket, rest } = await rawUpgrade(port, options)
    if (status !== 101) {
      socket.destroy()
      throw new Error(`upgrade refused with ${status}`)
    }
    const client = new BenchClient(socket)
    // Deferred so the caller can set onText before the first frame (welcome) is parsed; the socket
    // (paused by rawUpgrade) resumes after those bytes, so frames stay in order.
    setImmediate(() => {
      if (rest.length > 0) client.onData(rest)
      socket.resume()
    })
    return client
  }

  /** One masked text frame (clients must mask; RFC 6455 §5.3). */
  static frame(data: string | Buffer, mask: Buffer, opcode = 0x1): Buffer {
    const payload = typeof data === 'string' ? Buffer.from(data) : data
    const len = payload.length
    const headerLength = len < 126 ? 2 : len < 65_536 ? 4 : 10
    const frame = Buffer.allocUnsafe(headerLength + 4 + len)
    frame[0] = 0x80 | opcode
    if (headerLength === 2) frame[1] = 0x80 | len
    else if (headerLength === 4) {
      frame[1] = 0x80 | 126
      frame.writeUInt16BE(len, 2)
    } else {
      frame[1] = 0x80 | 127
      frame.writeBigUInt64BE(BigInt(len), 2)
    }
    mask.copy(frame, headerLength)
    for (let i = 0; i < len; i++) frame[headerLength + 4 + i] = payload[i]! ^ mask[i & 3]!
    return frame
  }

  send(text: string): void {
    this.socket.write(BenchClient.frame(text, this.mask))
  }

  /** Pre-masks `text` once so a publisher can resend the same bytes cheaply. */
  encode(text: string): Buffer {
    return BenchClient.frame(text, this.mask)
  }

  sendRaw(bytes: Buffer): void {
    this.socket.write(bytes)
  }

  /** Resolves with the first decoded text frame for which `pick` returns a value. */
  next<T>(pick: (msg: Record<string, unknown>) => T | undefined, timeoutMs = 30_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.onText = undefined
        reject(new Error('timed out waiting for a frame'))
      }, timeoutMs)
      this.onText = (text) => {
        const value = pick(JSON.parse(text) as Record<string, unknown>)
        if (value === undefined) return
        clearTimeout(timer)
        this.onText = undefined
        resolve(value)
      }
    })
  }

  destroy(): void {
    this.socket.destroy()
  }

  private onData(chunk: Buffer): void {
    let buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk
    this.pending = undefined
    let at = 0
    const before = this.count
    while (buf.length - at >= 2) {
      const b0 = buf[at]!
      let len = buf[at + 1]! & 0x7f
      let head = 2
      if (len === 126) {
        if (buf.length - at < 4) break
        len = buf.readUInt16BE(at + 2)
        head = 4
      } else if (len === 127) {
        if (buf.length - at < 10) break
        len = Number(buf.readBigUInt64BE(at + 2))
        head = 10
      }
      if (buf.length - at < head + len) break
      const opcode = b0 & 0x0f
      const start = at + head
      if (opcode === 0x1) {
        this.count++
        this.lastLength = len
        if (this.onText) this.onText(buf.toString('utf8', start, start + len))
      } else if (opcode === 0x9) {
        this.socket.write(BenchClient.frame(buf.subarray(start, start + len), this.mask, 0xa))
      } else if (opcode === 0x8) {
        this.closeCode = len >= 2 ? buf.readUInt16BE(start) : 1005
      }
      at = start + len
    }
    if (at < buf.length) {
      buf = buf.subarray(at)
      this.pending = Buffer.from(buf)
    }
    if (this.count !== before) this.onCount?.(this.count - before)
  }
}
