import { randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'
import { closePayload, encodeFrame, type FrameSpec, Opcode } from './encodeFrame.js'
import { FrameParser } from './FrameParser.js'

export interface RawUpgradeOptions {
  host?: string
  /** Request path; default `/ws`. */
  path?: string
  origin?: string
  protocols?: readonly string[]
  headers?: Record<string, string>
}

export interface RawUpgradeResponse {
  status: number
  /** Response headers, lower-cased. */
  headers: Record<string, string>
  socket: Socket
  /** Bytes that arrived after the response head (frames, or a refusal body). */
  rest: Buffer
}

/** Sends a WebSocket upgrade request over a plain TCP socket and reads the response head. */
export function rawUpgrade(port: number, options: RawUpgradeOptions = {}): Promise<RawUpgradeResponse> {
  const host = options.host ?? '127.0.0.1'
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host })
    let head = Buffer.alloc(0)
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk])
      const end = head.indexOf('\r\n\r\n')
      if (end < 0) return
      socket.off('data', onData)
      socket.off('error', onError)
      socket.off('close', onClose)
      socket.pause()
      const lines = head.subarray(0, end).toString('latin1').split('\r\n')
      const status = Number((lines[0] ?? '').split(' ')[1])
      const headers: Record<string, string> = {}
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':')
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
      }
      resolve({ status, headers, socket, rest: head.subarray(end + 4) })
    }
    const onError = (err: Error): void => reject(err)
    const onClose = (): void => reject(new Error('socket closed before an upgrade response'))
    socket.on('data', onData)
    socket.on('error', onError)
    socket.on('close', onClose)
    socket.on('connect', () => {
      const lines = [
        `GET ${options.path ?? '/ws'} HTTP/1.1`,
        `Host: ${host}:${port}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
        'Sec-WebSocket-Version: 13',
      ]
      if (options.origin !== undefined) lines.push(`Origin: ${options.origin}`)
      if (options.protocols?.length) lines.push(`Sec-WebSocket-Protocol: ${options.protocols.join(', ')}`)
      for (const [k, v] of Object.entries(options.headers ?? {})) lines.push(`${k}: ${v}`)
      socket.write(`${lines.join('\r\n')}\r\n\r\n`)
    })
  })
}

/** Upgrades and returns the HTTP status, closing the socket (for refusal tests). */
export async function upgradeStatus(port: number, options: RawUpgradeOptions = {}): Promise<number> {
  const res = await rawUpgrade(port, options).catch(() => undefined)
  res?.socket.destroy()
  return res?.status ?? 0
}

export interface RawMessage {
  data: string | Buffer
  binary: boolean
}

export interface CloseInfo {
  /** The code in the server's close frame, or 1006 when the socket ended without one. */
  code: number
  reason: string
}

/**
 * A minimal WebSocket client over raw TCP, built on `encodeFrame`/`FrameParser`,
 * so tests control every byte (never reading, never ponging, malformed frames).
 */
export class RawClient {
  readonly messages: RawMessage[] = []
  /** Answer pings automatically; turn off to play a dead peer. */
  autoPong = true
  readonly closed: Promise<CloseInfo>
  closeInfo: CloseInfo | undefined
  private readonly parser = new FrameParser()
  private fragments: Buffer[] = []
  private fragmentOpcode = 0
  private waiters: Array<() => void> = []
  private resolveClosed!: (info: CloseInfo) => void

  private constructor(
    readonly socket: Socket,
    readonly headers: Record<string, string>,
  ) {
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve
    })
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('error', () => {})
    socket.on('close', () => this.finish({ code: 1006, reason: '' }))
  }

  /** Connects and completes the handshake; rejects unless the server answers 101. */
  static async connect(port: number, options: RawUpgradeOptions = {}): Promise<RawClient> {
    const res = await rawUpgrade(port, options)
    if (res.status !== 101) {
      res.socket.destroy()
      throw new Error(`upgrade refused with ${res.status}`)
    }
    const client = new RawClient(res.socket, res.headers)
    if (res.rest.length) client.onData(res.rest)
    res.socket.resume()
    return client
  }

  /** The negotiated subprotocol ('' when none). */
  get protocol(): string {
    return this.headers['sec-websocket-protocol'] ?? ''
  }

  get isClosed(): boolean {
    return this.closeInfo !== undefined
  }

  send(data: string | Uint8Array): void {
    this.sendFrame({ opcode: typeof data === 'string' ? Opcode.text : Opcode.binary, payload: data })
  }

  sendFrame(spec: FrameSpec): void {
    this.socket.write(encodeFrame(spec))
  }

  sendRaw(bytes: Uint8Array): void {
    this.socket.write(bytes)
  }

  /** Starts the closing handshake. */
  close(code = 1000, reason = ''): void {
    if (!this.socket.destroyed) this.sendFrame({ opcode: Opcode.close, payload: closePayload(code, reason) })
  }

  /** Stops reading from the socket, so the server's writes pile up (a slow or dead peer). */
  pause(): void {
    this.socket.pause()
  }

  resume(): void {
    this.stopSlowReading()
    this.socket.resume()
  }

  /** Bytes taken off the socket so far. */
  bytesRead = 0
  private slowTimer: NodeJS.Timeout | undefined = undefined

  /**
   * Plays a slow consumer that still reads: the socket is paused and `bytesPerSecond`
   * is taken off it in small chunks every `tickMs` (frames, pings and the close frame
   * are handled as they arrive). `resume()` goes back to reading at full speed.
   */
  readSlowly(bytesPerSecond: number, tickMs = 10): void {
    this.stopSlowReading()
    this.socket.pause()
    const start = performance.now()
    const startBytes = this.bytesRead
    this.slowTimer = setInterval(() => {
      // the allowance follows the clock, so a late timer (a busy machine) does not lower the rate
      const allowed = startBytes + Math.floor((bytesPerSecond * (performance.now() - start)) / 1000)
      const n = Math.min(allowed - this.bytesRead, this.socket.readableLength)
      // a paused socket hands what read() returns to the 'data' listener; read(0) only refills from the kernel
      this.socket.read(Math.max(n, 0))
      if (this.socket.destroyed && this.socket.readableLength === 0) this.stopSlowReading()
    }, tickMs)
  }

  private stopSlowReading(): void {
    if (this.slowTimer) clearInterval(this.slowTimer)
    this.slowTimer = undefined
  }

  destroy(): void {
    this.stopSlowReading()
    this.socket.destroy()
  }

  /** Resolves once `count` messages have arrived in total (rejects if the socket closes first). */
  async waitForMessages(count: number, timeoutMs = 10_000): Promise<RawMessage[]> {
    await this.until(
      () => this.messages.length >= count,
      timeoutMs,
      `${count} messages (have ${this.messages.length})`,
    )
    return this.messages
  }

  /** The next unread message, in arrival order. */
  async next(timeoutMs = 10_000): Promise<RawMessage> {
    const index = this.read
    await this.until(() => this.messages.length > index, timeoutMs, 'a message')
    this.read++
    return this.messages[index] as RawMessage
  }

  private read = 0

  private until(ready: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (ready()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check)
        reject(new Error(`timed out waiting for ${what}`))
      }, timeoutMs)
      const check = (): void => {
        if (ready()) {
          clearTimeout(timer)
          this.waiters = this.waiters.filter((w) => w !== check)
          resolve()
        } else if (this.closeInfo) {
          clearTimeout(timer)
          this.waiters = this.waiters.filter((w) => w !== check)
          reject(new Error(`closed (${this.closeInfo.code}) while waiting for ${what}`))
        }
      }
      this.waiters.push(check)
    })
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter()
  }

  private finish(info: CloseInfo): void {
    if (this.closeInfo) return
    this.closeInfo = info
    this.resolveClosed(info)
    this.notify()
  }

  private onData(chunk: Buffer): void {
    this.bytesRead += chunk.length
    for (const frame of this.parser.push(chunk)) {
      if (frame.opcode === Opcode.ping) {
        if (this.autoPong && !this.socket.destroyed)
          this.sendFrame({ opcode: Opcode.pong, payload: frame.payload })
      } else if (frame.opcode === Opcode.pong) {
        // unsolicited pongs are allowed and ignored
      } else if (frame.opcode === Opcode.close) {
        const code = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005
        const reason = frame.payload.subarray(2).toString()
        if (!this.socket.destroyed) {
          this.socket.write(encodeFrame({ opcode: Opcode.close, payload: frame.payload.subarray(0, 2) }))
          this.socket.end()
        }
        this.finish({ code, reason })
      } else {
        if (frame.opcode !== Opcode.continuation) this.fragmentOpcode = frame.opcode
        this.fragments.push(frame.payload)
        if (!frame.fin) continue
        const payload =
          this.fragments.length === 1 ? (this.fragments[0] as Buffer) : Buffer.concat(this.fragments)
        this.fragments = []
        const binary = this.fragmentOpcode === Opcode.binary
        this.messages.push({ data: binary ? payload : payload.toString(), binary })
        this.notify()
      }
    }
  }
}
