import { CallTimeoutError } from './ActorError.js'
import type { CallRecord } from './CallRecord.js'

/**
 * All pending calls that share one timeout value. Their deadlines arrive in insertion order,
 * so one timer aimed at the head covers the whole list. When the list empties the timer is
 * unref'd on the next macrotask turn (not per call), so back-to-back calls never touch timers.
 */
export class TimeoutBucket {
  head: CallRecord | null = null
  tail: CallRecord | null = null
  private timer: ReturnType<typeof setTimeout> | null = null
  private refed = false

  constructor(
    readonly ms: number,
    private readonly onExpire: (rec: CallRecord, err: CallTimeoutError) => void,
  ) {}

  add(rec: CallRecord, now: number): void {
    rec.deadline = now + this.ms
    rec.bucket = this
    const tail = this.tail
    if (tail === null) {
      this.head = this.tail = rec
      if (this.timer === null) this.arm(this.ms)
      else if (!this.refed && this.timer !== null) {
        this.timer.ref()
        this.refed = true
      }
    } else {
      tail.next = rec
      rec.prev = tail
      this.tail = rec
    }
  }

  remove(rec: CallRecord): void {
    const { prev, next } = rec
    if (prev === null) this.head = next
    else prev.next = next
    if (next === null) this.tail = prev
    else next.prev = prev
    rec.prev = rec.next = null
    rec.bucket = null
    if (this.head === null && this.timer !== null && this.refed && !this.checking) {
      this.checking = true
      setImmediate(this.idleCheck)
    }
  }

  private checking = false
  private readonly idleCheck = (): void => {
    this.checking = false
    if (this.head === null && this.timer !== null && this.refed) {
      // Nothing pending: the timer must not keep the Node process alive.
      this.timer.unref()
      this.refed = false
    }
  }

  clear(): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.refed = false
    this.timer = null
  }

  private arm(delay: number): void {
    this.timer = setTimeout(this.fire, Math.max(1, delay))
    this.refed = true
  }

  private readonly fire = (): void => {
    this.timer = null
    const now = Date.now()
    let rec = this.head
    while (rec !== null && rec.deadline <= now) {
      const next = rec.next
      this.remove(rec)
      this.onExpire(rec, new CallTimeoutError(this.ms))
      rec = next
    }
    if (this.head !== null) this.arm(this.head.deadline - now)
  }
}
