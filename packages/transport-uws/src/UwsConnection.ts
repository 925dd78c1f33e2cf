import type { WebSocket } from 'uWebSockets.js'
import { BaseConnection, type SendResult } from '@hubbub/transport'

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

// One cork callback for every connection (no closure per socket): `send` sets these,
// corks, and reads the result straight back. The callback copies them out before
// calling uWS, so a send nested inside (a close handler run by uWS) cannot mix them up.
let corkWs: WebSocket<any> | undefined
let corkData: string | Uint8Array = ''
let corkCompress = false
let corkResult = 1
function corkedSend(): void {
  const ws = corkWs as WebSocket<any>
  const data = corkData
  corkResult = ws.send(data, typeof data !== 'string', corkCompress)
}
let endCode = 1000
let endReason = ''
function corkedEnd(): void {
  ;(corkWs as WebSocket<any>).end(endCode, endReason)
}
function corkedPing(): void {
  ;(corkWs as WebSocket<any>).ping()
}

/** A `Connection` over one uWebSockets.js socket. Nothing touches `ws` once `isOpen` is false. */
export class UwsConnection<I> extends BaseConnection<I> {
  isOpen = true
  /** Heartbeat pings sent since the last pong. */
  missedPongs = 0

  constructor(
    readonly ws: WebSocket<SocketData<I>>,
    private readonly host: ConnectionHost,
    /** uWS's copy of the upgrade data (it lives as long as the socket anyway): the fields below read it. */
    private readonly data: SocketData<I>,
  ) {
    super()
  }

  get id(): string {
    return this.data.id
  }

  get remoteAddress(): string {
    return this.data.remoteAddress
  }

  get protocol(): string {
    return this.data.protocol
  }

  get identity(): I {
    return this.data.identity
  }

  get bufferedAmount(): number {
    return this.isOpen ? this.ws.getBufferedAmount() : 0
  }

  send(data: string | Uint8Array): SendResult {
    if (!this.isOpen) return 'dropped'
    const host = this.host
    if (this.ws.getBufferedAmount() > host.maxBackpressure) {
      host.overLimit(this, data, undefined)
      return 'dropped'
    }
    host.wrote(data)
    // cork() runs the send at once; inside a uWS callback for this socket it is a no-op wrapper.
    corkWs = this.ws
    corkData = data
    corkCompress = host.compress
    this.ws.cork(corkedSend)
    const result = corkResult
    corkWs = undefined
    corkData = ''
    if (result === 1) return 'sent'
    if (result === 0) return 'buffered'
    // 2: uWS refused it over its own limit, which the check above should pre-empt.
    this.recordDrop(data, undefined)
    return 'dropped'
  }

  subscribe(topic: string): void {
    if (!this.isOpen || !this.addTopic(topic)) return
    this.ws.subscribe(topic)
    this.host.subscribed(this, topic)
  }

  unsubscribe(topic: string): void {
    if (!this.isOpen || !this.removeTopic(topic)) return
    this.ws.unsubscribe(topic)
    this.host.unsubscribed(this, topic)
  }

  close(code = 1000, reason = ''): void {
    if (!this.isOpen) return
    corkWs = this.ws
    endCode = code
    endReason = reason
    this.ws.cork(corkedEnd)
    corkWs = undefined
  }

  terminate(): void {
    if (!this.isOpen) return
    this.ws.close()
  }

  /** Sends a heartbeat ping (corked: the heartbeat runs outside any uWS callback). */
  ping(): void {
    corkWs = this.ws
    this.ws.cork(corkedPing)
    corkWs = undefined
  }

  override emitClose(code: number, reason: string): void {
    this.isOpen = false
    super.emitClose(code, reason)
  }
}
