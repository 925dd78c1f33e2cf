import type { Process } from './Process.js'
import type { TimeoutBucket } from './TimeoutBucket.js'

/**
 * One pending `call`: the promise the caller awaits, and a node in its timeout bucket's
 * doubly linked list (so settling removes it in O(1) without a per-call timer).
 */
export class CallRecord {
  resolve!: (value: unknown) => void
  reject!: (err: unknown) => void
  readonly promise: Promise<unknown>
  settled = false
  deadline = 0
  bucket: TimeoutBucket | null = null
  prev: CallRecord | null = null
  next: CallRecord | null = null

  constructor(
    readonly proc: Process,
    readonly msg: unknown,
  ) {
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
  }
}
