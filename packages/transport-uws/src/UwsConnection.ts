import type { WebSocket } from 'uWebSockets.js'
import type { Connection, SendResult } from '@hubbub/transport'

/** What a connection needs from its transport (the topic index and the limits live there). */
export interface ConnectionHost {
  readonly maxBackpressure: number
  readonly compress: boolean
  overLimit(connection: UwsConnection<any>, data: string | Uint8Array, topic: string | undefined): void
  subscribed(connection: UwsConnection<any>, topic: string): void
  unsubscribed(connection: UwsConnection<any>, topic: string): void
  /** A message written to this one socket outside publish (the index bounds buffers with it). */
  wrote(data: string | Uint8Array): void
}

/** Per-socket data handed to `res.upgrade` (uWS.js keeps a copy: read it back with `getUserData()`); `open` fills in `connection`. */
export interface SocketData<I> {
  id: string
  identity: I
  protocol: string
  remoteAddress: string
  connection: UwsConnection<I> | undefined
}

/** A `Connection` over one uWebSockets.js socket. Nothing touches `ws` once `isOpen` is false. */
export class UwsConnection<I> implements Connection<I> {
  readonly id: string
  readonly remoteAddress: string
  readonly protocol: string
  readonly identity: I
  isOpen = true
  droppedCount = 0
  /** Heartbeat pings sent since the last pong. */
  missedPongs = 0
  /** Topics this connection is in, so closing can clean the transport's index. */
  readonly topics = new Set<string>()
  private readonly messageHandlers: Array<(data: string | Uint8Array, isBinary: boolean) => void> = []
  private readonly closeHandlers: Array<(code: number, reason: string) => void> = []
  private readonly drainHandlers: Array<() => void> = []
  private readonly dropHandlers: Array<(data: string | Uint8Array, topic: string | undefined) => void> = []
  // Reused by `send` so corking allocates no closure per call.
  private pending: string | Uint8Array = ''
  private result = 1
  private readonly corkedSend = () => {
    const data = this.pending
    this.result = this.ws.send(data, typeof data !== 'string', this.host.compress)
  }

  constructor(
    readonly ws: WebSocket<SocketData<I>>,
    private readonly host: ConnectionHost,
    data: SocketData<I>,
  ) {
    this.id = data.id
    this.remoteAddress = data.remoteAddress
    this.protocol = data.protocol
    this.identity = data.identity
  }

  get bufferedAmount(): number {
    return this.isOpen ? this.ws.getBufferedAmount() : 0
  }

  send(data: string | Uint8Array): SendResult {
    if (!this.isOpen) return 'dropped'
    if (this.ws.getBufferedAmount() > this.host.maxBackpressure) {
      this.host.overLimit(this, data, undefined)
      return 'dropped'
    }
    // cork() runs the send at once; inside a uWS callback for this socket it is a no-op wrapper.
    this.pending = data
    this.host.wrote(data)
    this.ws.cork(this.corkedSend)
    this.pending = ''
    if (this.result === 1) return 'sent'
    if (this.result === 0) return 'buffered'
    // 2: uWS refused it over its own limit, which the check above should pre-empt.
    this.recordDrop(data, undefined)
    return 'dropped'
  }

  subscribe(topic: string): void {
    if (!this.isOpen || this.topics.has(topic)) return
    this.ws.subscribe(topic)
    this.topics.add(topic)
    this.host.subscribed(this, topic)
  }

  unsubscribe(topic: string): void {
    if (!this.isOpen || !this.topics.delete(topic)) return
    this.ws.unsubscribe(topic)
    this.host.unsubscribed(this, topic)
  }

  isSubscribed(topic: string): boolean {
    return this.topics.has(topic)
  }

  close(code = 1000, reason = ''): void {
    if (!this.isOpen) return
    this.ws.cork(() => this.ws.end(code, reason))
  }

  terminate(): void {
    if (!this.isOpen) return
    this.ws.close()
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

  /** Counts one message lost to the `'drop'` policy and tells the caller. */
  recordDrop(data: string | Uint8Array, topic: string | undefined): void {
    this.droppedCount++
    for (const handler of this.dropHandlers) handler(data, topic)
  }

  emitMessage(data: string | Uint8Array, isBinary: boolean): void {
    for (const handler of this.messageHandlers) handler(data, isBinary)
  }

  emitDrain(): void {
    for (const handler of this.drainHandlers) handler()
  }

  emitClose(code: number, reason: string): void {
    this.isOpen = false
    for (const handler of this.closeHandlers) handler(code, reason)
  }
}
