import type { Socket } from 'node:net'
import type { BackpressurePolicy, Connection, SendResult } from '@hubbub/transport'
import { WebSocket } from 'ws'

/** ws's Sender internals we read to know when writing a pre-built frame to the socket is safe. */
interface SenderState {
  _state: number
  _queue: unknown[]
  _firstFragment: boolean
  _bufferedBytes: number
}

type Internal = WebSocket & { _socket: Socket | null; _sender: SenderState | null }

/** How long a slow consumer closed with 1013 gets to take its close frame before it is destroyed. */
const SLOW_CLOSE_GRACE_MS = 1000

export interface WsConnectionLimits {
  maxBackpressure: number
  backpressure: BackpressurePolicy
}

/** One `ws` socket behind the `Connection` contract. */
export class WsConnection<I = unknown> implements Connection<I> {
  readonly topics = new Set<string>()
  droppedCount = 0
  /** Pings sent since the last pong (heartbeat). */
  missedPongs = 0
  private closeCode: number | undefined
  private closeReason = ''
  private messageHandlers: Array<(data: string | Uint8Array, isBinary: boolean) => void> = []
  private closeHandlers: Array<(code: number, reason: string) => void> = []
  private drainHandlers: Array<() => void> = []
  private dropHandlers: Array<(data: string | Uint8Array, topic: string | undefined) => void> = []
  private slowTimer: NodeJS.Timeout | undefined
  // ws never swaps these for a live socket; caching them keeps publish's per-subscriber path monomorphic
  private readonly socket: Socket | null
  private readonly sender: SenderState | null

  constructor(
    readonly id: string,
    readonly ws: WebSocket,
    readonly remoteAddress: string,
    readonly protocol: string,
    readonly identity: I,
    private readonly limits: WsConnectionLimits,
    private readonly index: Map<string, Set<WsConnection<I>>>,
    onGone: (connection: WsConnection<I>) => void,
  ) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const payload = isBinary ? data : data.toString()
      for (const h of this.messageHandlers) h(payload, isBinary)
    })
    ws.on('pong', () => {
      this.missedPongs = 0
    })
    // ws closes the socket itself (with the right code) after an error; the event only needs a listener
    ws.on('error', () => {})
    ws.on('close', (code: number, reason: Buffer) => {
      if (this.slowTimer) clearTimeout(this.slowTimer)
      for (const topic of this.topics) this.removeFromIndex(topic)
      this.topics.clear()
      onGone(this)
      const reported = this.closeCode ?? code
      const why = this.closeCode !== undefined ? this.closeReason : reason.toString()
      for (const h of this.closeHandlers) h(reported, why)
    })
    this.socket = (ws as Internal)._socket
    this.sender = (ws as Internal)._sender
    this.socket?.on('drain', () => {
      for (const h of this.drainHandlers) h()
    })
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN
  }

  get bufferedAmount(): number {
    return (this.socket?.writableLength ?? 0) + (this.sender?._bufferedBytes ?? 0)
  }

  send(data: string | Uint8Array): SendResult {
    if (!this.isOpen) return 'dropped'
    const size = typeof data === 'string' ? data.length : data.byteLength
    if (this.overLimit(size)) return this.applyPolicy(data, undefined)
    this.ws.send(data, { binary: typeof data !== 'string' })
    return this.bufferedAmount > 0 ? 'buffered' : 'sent'
  }

  /**
   * Writes a frame built once by `publish` straight to the socket, skipping ws's
   * per-socket framing; falls back to `ws.send` while ws has its own frames queued
   * (deflating, mid-fragment), so frames never interleave.
   */
  writeFrame(frame: Buffer, data: string | Uint8Array, topic: string): void {
    const socket = this.socket
    if (this.ws.readyState !== WebSocket.OPEN || socket === null) return
    const sender = this.sender
    const buffered = socket.writableLength + (sender?._bufferedBytes ?? 0)
    if (buffered > 0 && buffered + frame.length > this.limits.maxBackpressure) {
      this.applyPolicy(data, topic)
      return
    }
    if (sender !== null && sender._state === 0 && sender._queue.length === 0 && sender._firstFragment) {
      socket.write(frame)
    } else {
      this.ws.send(data, { binary: typeof data !== 'string' })
    }
  }

  subscribe(topic: string): void {
    if (this.topics.has(topic) || !this.isOpen) return
    this.topics.add(topic)
    let set = this.index.get(topic)
    if (!set) {
      set = new Set()
      this.index.set(topic, set)
    }
    set.add(this)
  }

  unsubscribe(topic: string): void {
    if (this.topics.delete(topic)) this.removeFromIndex(topic)
  }

  isSubscribed(topic: string): boolean {
    return this.topics.has(topic)
  }

  close(code = 1000, reason = ''): void {
    if (this.closeCode !== undefined || this.ws.readyState >= WebSocket.CLOSING) return
    this.closeCode = code
    this.closeReason = reason
    this.ws.close(code, reason)
  }

  terminate(): void {
    this.ws.terminate()
  }

  onMessage(handler: (data: string | Uint8Array, isBinary: boolean) => void): void {
    this.messageHandlers.push(handler)
  }

  onClose(handler: (code: number, reason: string) => void): void {
    this.closeHandlers.push(handler)
  }

  onDrain(handler: () => void): void {
    this.drainHandlers.push(handler)
  }

  onDrop(handler: (data: string | Uint8Array, topic: string | undefined) => void): void {
    this.dropHandlers.push(handler)
  }

  private overLimit(size: number): boolean {
    const buffered = this.bufferedAmount
    return buffered > 0 && buffered + size > this.limits.maxBackpressure
  }

  private applyPolicy(data: string | Uint8Array, topic: string | undefined): SendResult {
    if (this.limits.backpressure === 'drop') {
      this.droppedCount++
      for (const h of this.dropHandlers) h(data, topic)
      return 'dropped'
    }
    this.close(1013, 'slow consumer')
    // the close frame sits behind the backlog; do not hold that memory for ws's 30 s close timeout
    this.slowTimer ??= setTimeout(() => this.ws.terminate(), SLOW_CLOSE_GRACE_MS).unref()
    return 'dropped'
  }

  private removeFromIndex(topic: string): void {
    const set = this.index.get(topic)
    if (!set) return
    set.delete(this)
    if (set.size === 0) this.index.delete(topic)
  }
}
