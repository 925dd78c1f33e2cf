/** What the limiter decided about one frame. */
export type RateDecision = 'ok' | 'limited' | 'abuse'

export interface RateLimitOptions {
  /** Sustained frames per second (an integer). Default 20. */
  perSecond?: number
  /** Bucket size (frames allowed in a burst). Default 40. */
  burst?: number
  /** Being over the limit for this long (ms) counts as abuse → close 1008. Default 5,000. */
  abuseMs?: number
}

export const RateLimitDefaults = { perSecond: 20, burst: 40, abuseMs: 5_000 } as const

/** Settings shared by every limiter of a server; `base` keeps per-connection times small integers. */
export class RateLimitConfig {
  readonly perSecond: number
  readonly burstMilli: number
  readonly abuseMs: number
  readonly base: number

  constructor(options: RateLimitOptions = {}, base: number = Date.now()) {
    this.perSecond = Math.max(1, Math.round(options.perSecond ?? RateLimitDefaults.perSecond))
    this.burstMilli = Math.max(1, Math.round(options.burst ?? RateLimitDefaults.burst)) * 1000
    this.abuseMs = options.abuseMs ?? RateLimitDefaults.abuseMs
    this.base = base
  }
}

/**
 * Token bucket per connection, refilled lazily on each frame (no timers).
 * Tokens are counted in thousandths and times relative to the config's base, so
 * every field stays a small integer and an idle connection holds no boxed numbers.
 * "Over the limit" starts at the first refused frame and ends once a full second
 * passes without a refusal, so a client that keeps pushing above the rate (even
 * while some frames get through) is caught as sustained abuse.
 */
export class RateLimiter {
  #milliTokens: number
  #last: number
  #overSince = -1
  #lastRefused = -1
  /** When the client was last told RATE_LIMITED (those errors are throttled to one per second). */
  #toldAt = -1_000_000
  readonly #config: RateLimitConfig

  constructor(options: RateLimitOptions | RateLimitConfig = {}, now: number = Date.now()) {
    this.#config = options instanceof RateLimitConfig ? options : new RateLimitConfig(options, now)
    this.#milliTokens = this.#config.burstMilli
    this.#last = now - this.#config.base
  }

  /** Takes one token for a frame arriving at `now`. */
  take(now: number = Date.now()): RateDecision {
    const config = this.#config
    const t = now - config.base
    const elapsed = t - this.#last
    if (elapsed > 0) {
      // perSecond tokens per second = perSecond thousandths per millisecond.
      this.#milliTokens = Math.min(config.burstMilli, this.#milliTokens + elapsed * config.perSecond)
      this.#last = t
    }
    if (this.#overSince >= 0 && t - this.#lastRefused >= 1000) this.#overSince = -1
    if (this.#milliTokens >= 1000) {
      this.#milliTokens -= 1000
      return 'ok'
    }
    if (this.#overSince < 0) this.#overSince = t
    this.#lastRefused = t
    return t - this.#overSince >= config.abuseMs ? 'abuse' : 'limited'
  }

  /** Gives back the token of a frame `take` let through that another limiter counts instead. */
  refund(): void {
    this.#milliTokens = Math.min(this.#config.burstMilli, this.#milliTokens + 1000)
  }

  /** True at most once per second: whether to tell the client it is being limited. */
  shouldTell(now: number = Date.now()): boolean {
    const t = now - this.#config.base
    if (t - this.#toldAt < 1000) return false
    this.#toldAt = t
    return true
  }
}
