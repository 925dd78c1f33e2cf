import type { Socket } from 'node:net'
import { type BackpressurePolicy, BaseConnection, type SendResult } from '@hubbub/transport'
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

/** What every connection of one transport shares: the limits, the topic index, and who to tell when one is gone. */
export interface WsConnectionHost<I> {
  readonly maxBackpressure: number
  readonly backpressure: BackpressurePolicy
  readonly index: Map<string, Set<WsConnection<I>>>
  gone(connection: WsConnection<I>): void
}

// The listeners are shared by every socket (no closures per connection): ws and
// node:net call them with the emitter as `this`, and the connection hangs off it.
const kConnection = Symbol('hubbub.connection')
type Tagged = { [kConnection]: WsConnection<any> }
const connectionOf = (emitter: unknown): WsConnection<any> => (emitter as Tagged)[kConnection]

function onMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
  connectionOf(this).emitMessage(isBinary ? data : data.toString(), isBinary)
}
function onPong(this: WebSocket): void {
  connectionOf(this).missedPongs = 0
}
// ws closes the socket itself (with the right code) after an error; the event only needs a listener
function onError(): void {}
function onClose(this: WebSocket, code: number, reason: Buffer): void {
  connectionOf(this).closed(code, reason)
}
function onDrain(this: Socket): void {
  connectionOf(this).emitDrain()
}

/** One `ws` socket behind the `Connection` contract. */
export class WsConnection<I = unknown> extends BaseConnection<I> {
  /** Pings sent since the last pong (heartbeat). */
  missedPongs = 0
  /** Code and reason of our own `close()` (reported to the handlers instead of the peer's echo). */
  private closedWith: [code: number, reason: string] | undefined = undefined
  private slowTimer: NodeJS.Timeout | undefined = undefined
  // ws never swaps these for a live socket; caching them keeps publish's per-subscriber path monomorphic
  private readonly socket: Socket | null
  private readonly sender: SenderState | null

  constructor(
    readonly id: string,
    readonly ws: WebSocket,
    readonly remoteAddress: string,
    readonly protocol: string,
    readonly identity: I,
    private readonly host: WsConnectionHost<I>,
  ) {
    super()
    ;(ws as unknown as Tagged)[kConnection] = this
    ws.on('message', onMessage)
    ws.on('pong', onPong)
    ws.on('error', onError)
    ws.on('close', onClose)
    this.socket = (ws as Internal)._socket
    this.sender = (ws as Internal)._sender
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN
  }

  get bufferedAmount(): number {
    return (this.socket?.writableLength ?? 0) + (this.sender?._bufferedBytes ?? 0)
  }

  override onDrain(handler: () => void): void {
    // most users never ask for drain: the socket listener (and its tag) is only added for the first who does
    const first = !this.hasDrainHandlers
    super.onDrain(handler)
    if (!first || this.socket === null) return
    ;(this.socket as unknown as Tagged)[kConnection] = this
    this.socket.on('drain', onDrain)
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
    if (buffered > 0 && buffered + frame.length > this.host.maxBackpressure) {
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
    if (!this.isOpen || !this.addTopic(topic)) return
    const index = this.host.index
    let set = index.get(topic)
    if (!set) {
      set = new Set()
      index.set(topic, set)
    }
    set.add(this)
  }

  unsubscribe(topic: string): void {
    if (this.removeTopic(topic)) this.removeFromIndex(topic)
  }

  close(code = 1000, reason = ''): void {
    if (this.closedWith !== undefined || this.ws.readyState >= WebSocket.CLOSING) return
    this.closedWith = [code, reason]
    this.ws.close(code, reason)
  }

  terminate(): void {
    this.ws.terminate()
  }

  /** ws's `close` event: leave the index, tell the transport, then the handlers (with the code we closed with, if we did). */
  closed(code: number, reason: Buffer): void {
    if (this.slowTimer) clearTimeout(this.slowTimer)
    for (const topic of this.takeTopics()) this.removeFromIndex(topic)
    this.host.gone(this)
    const ours = this.closedWith
    if (ours !== undefined) this.emitClose(ours[0], ours[1])
    else this.emitClose(code, reason.toString())
  }

  private overLimit(size: number): boolean {
    const buffered = this.bufferedAmount
    return buffered > 0 && buffered + size > this.host.maxBackpressure
  }

  private applyPolicy(data: string | Uint8Array, topic: string | undefined): SendResult {
    if (this.host.backpressure === 'drop') {
      this.recordDrop(data, topic)
      return 'dropped'
    }
    this.close(1013, 'slow consumer')
    // the close frame sits behind the backlog; do not hold that memory for ws's 30 s close timeout
    this.slowTimer ??= setTimeout(() => this.ws.terminate(), SLOW_CLOSE_GRACE_MS).unref()
    return 'dropped'
  }

  private removeFromIndex(topic: string): void {
    const index = this.host.index
    const set = index.get(topic)
    if (!set) return
    set.delete(this)
    if (set.size === 0) index.delete(topic)
  }
}
