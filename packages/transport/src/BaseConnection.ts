import type { Connection, ConnectionSink, SendResult } from './Transport.js'

type MessageHandler = (data: string | Uint8Array, isBinary: boolean) => void
type CloseHandler = (code: number, reason: string) => void
type DrainHandler = () => void
type DropHandler = (data: string | Uint8Array, topic: string | undefined) => void

/** One handler, or an array once a second one is added: almost every connection has exactly one. */
type Slot<H> = H | H[] | undefined

function add<H>(slot: Slot<H>, handler: H): Slot<H> {
  if (slot === undefined) return handler
  if (Array.isArray(slot)) {
    slot.push(handler)
    return slot
  }
  return [slot, handler]
}

/**
 * The bookkeeping every adapter's connection shares: handler registration,
 * drop counting and the topics it is in. It is held per socket, so it stays
 * small: a single handler or topic is stored as is, and an array or Set is only
 * allocated for a second one.
 */
export abstract class BaseConnection<I = unknown> implements Connection<I> {
  /** Messages dropped under the `'drop'` backpressure policy. */
  droppedCount = 0
  private sink: ConnectionSink | undefined = undefined
  private messageHandlers: Slot<MessageHandler> = undefined
  private closeHandlers: Slot<CloseHandler> = undefined
  private drainHandlers: Slot<DrainHandler> = undefined
  private dropHandlers: Slot<DropHandler> = undefined
  private topicSet: string | Set<string> | undefined = undefined

  abstract readonly id: string
  abstract readonly remoteAddress: string
  abstract readonly protocol: string
  abstract readonly identity: I
  abstract readonly isOpen: boolean
  abstract readonly bufferedAmount: number
  abstract send(data: string | Uint8Array): SendResult
  abstract subscribe(topic: string): void
  abstract unsubscribe(topic: string): void
  abstract close(code?: number, reason?: string): void
  abstract terminate(): void

  onMessage(handler: MessageHandler): void {
    this.messageHandlers = add(this.messageHandlers, handler)
  }

  onClose(handler: CloseHandler): void {
    this.closeHandlers = add(this.closeHandlers, handler)
  }

  deliverTo(sink: ConnectionSink): void {
    if (this.sink !== undefined) throw new Error('a connection delivers to one sink only')
    this.sink = sink
  }

  onDrain(handler: DrainHandler): void {
    this.drainHandlers = add(this.drainHandlers, handler)
  }

  onDrop(handler: DropHandler): void {
    this.dropHandlers = add(this.dropHandlers, handler)
  }

  /** True when a handler is registered for `'drain'` (lets an adapter skip listening for it). */
  protected get hasDrainHandlers(): boolean {
    return this.drainHandlers !== undefined
  }

  emitMessage(data: string | Uint8Array, isBinary: boolean): void {
    this.sink?.receive(data, isBinary)
    const h = this.messageHandlers
    if (typeof h === 'function') h(data, isBinary)
    else if (h !== undefined) for (const f of h) f(data, isBinary)
  }

  emitClose(code: number, reason: string): void {
    this.sink?.closed(code, reason)
    const h = this.closeHandlers
    if (typeof h === 'function') h(code, reason)
    else if (h !== undefined) for (const f of h) f(code, reason)
  }

  emitDrain(): void {
    const h = this.drainHandlers
    if (typeof h === 'function') h()
    else if (h !== undefined) for (const f of h) f()
  }

  /** Counts one message lost to the `'drop'` policy and tells the handlers. */
  recordDrop(data: string | Uint8Array, topic: string | undefined): void {
    this.droppedCount++
    const h = this.dropHandlers
    if (typeof h === 'function') h(data, topic)
    else if (h !== undefined) for (const f of h) f(data, topic)
  }

  isSubscribed(topic: string): boolean {
    const t = this.topicSet
    return t === topic || (typeof t === 'object' && t.has(topic))
  }

  /** Records `topic` as joined; false when it already was. */
  protected addTopic(topic: string): boolean {
    const t = this.topicSet
    if (t === undefined) {
      this.topicSet = topic
      return true
    }
    if (typeof t === 'string') {
      if (t === topic) return false
      this.topicSet = new Set([t, topic])
      return true
    }
    if (t.has(topic)) return false
    t.add(topic)
    return true
  }

  /** Records `topic` as left; false when it was not joined. */
  protected removeTopic(topic: string): boolean {
    const t = this.topicSet
    if (t === topic) {
      this.topicSet = undefined
      return true
    }
    return typeof t === 'object' && t.delete(topic)
  }

  /** Forgets every topic and returns them (once, at close, so the adapter can clean its index). */
  takeTopics(): string[] {
    const t = this.topicSet
    this.topicSet = undefined
    if (t === undefined) return []
    return typeof t === 'string' ? [t] : [...t]
  }
}
