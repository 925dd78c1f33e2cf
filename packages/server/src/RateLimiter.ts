/** What the limiter decided about one frame. */
export type RateDecision = 'ok' | 'limited' | 'abuse'

export interface RateLimitOptions {
  /** Sustained frames per second. Default 20. */
  perSecond?: number
  /** Bucket size (frames allowed in a burst). Default 40. */
  burst?: number
  /** Being over the limit for this long (ms) counts as abuse → close 1008. Default 5,000. */
  abuseMs?: number
}

export const RateLimitDefaults = { perSecond: 20, burst: 40, abuseMs: 5_000 } as const

/**
 * Token bucket per connection. Four numbers, no timers: tokens refill lazily on
 * each frame. "Over the limit" starts at the first refused frame and ends once a
 * full second passes without a refusal, so a client that keeps pushing above the
 * rate (even while some frames get through) is caught as sustained abuse.
 */
export class RateLimiter {
  #tokens: number
  #last: number
  #overSince = -1
  #lastRefused = -1
  readonly #perMs: number
  readonly #burst: number
  readonly #abuseMs: number

  constructor(options: RateLimitOptions = {}, now: number = Date.now()) {
    this.#burst = options.burst ?? RateLimitDefaults.burst
    this.#perMs = (options.perSecond ?? RateLimitDefaults.perSecond) / 1000
    this.#abuseMs = options.abuseMs ?? RateLimitDefaults.abuseMs
    this.#tokens = this.#burst
    this.#last = now
  }

  /** Takes one token for a frame arriving at `now`. */
  take(now: number = Date.now()): RateDecision {
    const elapsed = now - this.#last
    if (elapsed > 0) {
      this.#tokens = Math.min(this.#burst, this.#tokens + elapsed * this.#perMs)
      this.#last = now
    }
    if (this.#overSince >= 0 && now - this.#lastRefused >= 1000) this.#overSince = -1
    if (this.#tokens >= 1) {
      this.#tokens -= 1
      return 'ok'
    }
    if (this.#overSince < 0) this.#overSince = now
    this.#lastRefused = now
    return now - this.#overSince >= this.#abuseMs ? 'abuse' : 'limited'
  }
}
