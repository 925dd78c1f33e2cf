import type { LogListener, SequencedFrame } from '../RoomLog.js'

/** One call a `RoomLog` made to a listener. */
export interface Delivery {
  roomId: string
  frame: SequencedFrame
}

/**
 * A `RoomLog` listener that records what it is given, and lets a test wait for deliveries
 * without assuming when they happen (inside `publish`, or later from a subscription).
 */
export class Recorder {
  readonly deliveries: Delivery[] = []
  readonly #timeoutMs: number
  #waiting: (() => void)[] = []

  constructor(timeoutMs = 5_000) {
    this.#timeoutMs = timeoutMs
  }

  readonly listener: LogListener = (roomId, frame) => {
    this.deliveries.push({ roomId, frame })
    const waiting = this.#waiting
    this.#waiting = []
    for (const check of waiting) check()
  }

  get frames(): SequencedFrame[] {
    return this.deliveries.map((d) => d.frame)
  }

  get offsets(): number[] {
    return this.deliveries.map((d) => d.frame.offset)
  }

  /** Resolves once `check()` holds (tested now and after each delivery); rejects after the timeout. */
  until(check: () => boolean, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      let done = false
      const timer = setTimeout(() => {
        done = true
        reject(new Error(`no ${what} within ${this.#timeoutMs} ms; offsets delivered: [${this.offsets}]`))
      }, this.#timeoutMs)
      const test = (): void => {
        if (done) return
        if (check()) {
          done = true
          clearTimeout(timer)
          resolve()
        } else this.#waiting.push(test)
      }
      test()
    })
  }

  /** Resolves once at least `count` frames arrived. */
  received(count: number): Promise<void> {
    return this.until(() => this.deliveries.length >= count, `${count} deliveries`)
  }

  /** Resolves once a frame with `offset` (or a later one) arrived. */
  reached(offset: number): Promise<void> {
    return this.until(() => this.deliveries.some((d) => d.frame.offset >= offset), `offset ${offset}`)
  }
}
