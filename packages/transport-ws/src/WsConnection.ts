import type { Socket } from 'node:net'
import { type BackpressurePolicy, BaseConnection, type SendResult } from '@hubbub/transport'
import { WebSocket } from 'ws'
import { buildFrame } from './buildFrame.js'
import { corkForTurn, writeCoalesced } from './coalesce.js'

/** ws's Sender internals we read to know when writing a pre-built frame to the socket is safe. */
interface SenderState {
  _state: number
  _queue: unknown[]
  _firstFragment: boolean
  _bufferedBytes: number
}

/** The permessage-deflate parameters ws agreed with the peer (RFC 7692 §7.1). */
interface DeflateParams {
  server_no_context_takeover?: boolean
  server_max_window_bits?: number | boolean
}

type Internal = WebSocket & {
  _socket: Socket | null
  _sender: SenderState | null
  _extensions: Record<string, { params: DeflateParams } | undefined>
}

/**
 * The window a shared, context-free compressed frame may use for this socket, or 0 when it
 * must get the plain frame: deflate not negotiated, or a window under 9 bits (zlib's raw deflate
 * has no 8-bit window).
 */
function sharedDeflateBits(ws: Internal): number {
  const params = ws._extensions?.['permessage-deflate']?.params
  if (params?.server_no_context_takeover !== true) return 0
  const bits = typeof params.server_max_window_bits === 'number' ? params.server_max_window_bits : 15
  return bits >= 9 ? bits : 0
}

/** What every connection of one transport shares: the limits, the topic index, and who to tell when one is gone. */
export interface WsConnectionHost<I> {
  readonly maxBackpressure: number
  readonly backpressure: BackpressurePolicy
  readonly index: Map<string, Set<WsConnection<I>>>
  gone(connection: WsConnection<I>): void
  /** Sockets closed as slow consumers that are still delivering their close frame (terminated when the transport closes). */
  readonly lingering: Set<WsConnection<I>>
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
  connectionOf(this).socketDrained()
}

/** One `ws` socket behind the `Connection` contract. */
export class WsConnection<I = unknown> extends BaseConnection<I> {
  /** Pings sent since the last pong (heartbeat). */
  missedPongs = 0
  /** Code and reason of our own `close()` (reported to the handlers instead of the peer's echo). */
  private closedWith: [code: number, reason: string] | undefined = undefined
  /**
   * Frames waiting for the socket to drain, in order, from `backlogHead` on. Kept
   * here rather than in the socket's own buffer so that a slow consumer's backlog
   * can be thrown away and its 1013 close frame sent next; undefined while empty.
   */
  private backlog: Buffer[] | undefined = undefined
  private backlogHead = 0
  private backlogBytes = 0
  /** A close asked for while frames were waiting: sent once they are written. */
  private closeAfterBacklog = false
  /** Closed as a slow consumer: nothing more is queued to it. */
  private shed = false
  private listeningForDrain = false
  // ws never swaps these for a live socket; caching them keeps publish's per-subscriber path monomorphic
  private readonly socket: Socket | null
  private readonly sender: SenderState | null
  /**
   * Window bits of the compressed frame `publish` builds once for every subscriber that
   * negotiated permessage-deflate without server context takeover; 0: the plain frame.
   */
  readonly deflateBits: number

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
    this.deflateBits = sharedDeflateBits(ws as Internal)
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN && !this.closeAfterBacklog
  }

  /** Every byte this connection has waiting, whatever topic or send it came from. */
  get bufferedAmount(): number {
    return (this.socket?.writableLength ?? 0) + (this.sender?._bufferedBytes ?? 0) + this.backlogBytes
  }

  override onDrain(handler: () => void): void {
    // most users never ask for drain: the socket listener (and its tag) is only added for the first who does
    super.onDrain(handler)
    this.listenForDrain()
  }

  send(data: string | Uint8Array): SendResult {
    if (!this.isOpen || this.closeAfterBacklog) return 'dropped'
    const size = typeof data === 'string' ? data.length : data.byteLength
    if (this.overLimit(size)) return this.applyPolicy(data, undefined)
    // behind a backlog (or a full socket) the frame waits its turn, so sends and publishes keep their order
    if (this.backlog !== undefined || (this.socket?.writableNeedDrain === true && this.senderIdle())) {
      this.enqueue(buildFrame(data))
      return 'buffered'
    }
    // ws writes it through its sender; corked, it leaves with the turn's other frames to this socket
    if (this.socket !== null) corkForTurn(this.socket)
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
    if (this.ws.readyState !== WebSocket.OPEN || socket === null || this.closeAfterBacklog) return
    const buffered = this.bufferedAmount
    if (buffered > 0 && buffered + frame.length > this.host.maxBackpressure) {
      this.applyPolicy(data, topic)
      return
    }
    if (this.backlog !== undefined) this.enqueue(frame)
    else if (this.senderIdle()) {
      // past the socket's high-water mark, frames wait here, where a slow consumer's can be discarded
      if (socket.writableNeedDrain) this.enqueue(frame)
      else writeCoalesced(socket, frame)
    } else this.ws.send(data, { binary: typeof data !== 'string' })
  }

  /** The socket drained: writes waiting frames up to its high-water mark, then tells the drain handlers once all are out. */
  socketDrained(): void {
    const backlog = this.backlog
    const socket = this.socket
    if (backlog !== undefined && socket !== null && !socket.destroyed) {
      let i = this.backlogHead
      let fits = true
      // corked, the frames written here leave in one write, not one syscall each: a connection that
      // fell behind catches up at the cost it fell behind at, instead of a slower one
      socket.cork()
      while (fits && i < backlog.length) {
        const frame = backlog[i++] as Buffer
        this.backlogBytes -= frame.length
        fits = socket.write(frame)
      }
      socket.uncork()
      if (i < backlog.length) {
        this.backlogHead = i
        return
      }
      this.clearBacklog()
      if (this.closeAfterBacklog) {
        const [code, reason] = this.closedWith ?? [1000, '']
        this.ws.close(code, reason)
        return
      }
      if (!fits) return
    }
    if (this.hasDrainHandlers) this.emitDrain()
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
    // what was sent before the close is delivered before it (a slow consumer's backlog is dropped first)
    if (this.backlog !== undefined) this.closeAfterBacklog = true
    else this.ws.close(code, reason)
  }

  terminate(): void {
    this.clearBacklog()
    this.ws.terminate()
  }

  /** ws's `close` event: leave the index, tell the transport, then the handlers (with the code we closed with, if we did). */
  closed(code: number, reason: Buffer): void {
    this.clearBacklog()
    if (this.host.lingering.delete(this)) return // the handlers heard of it when it was shed
    this.leave()
    const ours = this.closedWith
    if (ours !== undefined) this.emitClose(ours[0], ours[1])
    else this.emitClose(code, reason.toString())
  }

  private leave(): void {
    for (const topic of this.takeTopics()) this.removeFromIndex(topic)
    this.host.gone(this)
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
    if (this.shed) return 'dropped'
    this.shed = true
    // Nothing more is queued to it and what waits here is thrown away, so the close frame follows
    // at most the socket's own buffer (one high-water mark) and what the kernel already took. The
    // heap holds no backlog any more; ws's close timeout (30 s) ends a peer that never reads it.
    this.clearBacklog()
    this.closeAfterBacklog = false
    this.closedWith = undefined
    this.close(1013, 'slow consumer')
    // As uWS does in end(): the connection is over for everyone now, though the socket lingers
    // until the peer reads its close frame or ws's close timeout ends it.
    this.host.lingering.add(this)
    this.leave()
    this.emitClose(1013, 'slow consumer')
    return 'dropped'
  }

  private senderIdle(): boolean {
    const sender = this.sender
    return sender !== null && sender._state === 0 && sender._queue.length === 0 && sender._firstFragment
  }

  private enqueue(frame: Buffer): void {
    if (this.backlog === undefined) {
      this.backlog = [frame]
      this.listenForDrain()
    } else this.backlog.push(frame)
    this.backlogBytes += frame.length
  }

  private clearBacklog(): void {
    this.backlog = undefined
    this.backlogHead = 0
    this.backlogBytes = 0
  }

  private listenForDrain(): void {
    if (this.listeningForDrain || this.socket === null) return
    this.listeningForDrain = true
    ;(this.socket as unknown as Tagged)[kConnection] = this
    this.socket.on('drain', onDrain)
  }

  private removeFromIndex(topic: string): void {
    const index = this.host.index
    const set = index.get(topic)
    if (!set) return
    set.delete(this)
    if (set.size === 0) index.delete(topic)
  }
}
