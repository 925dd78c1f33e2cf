import { type RateDecision, type RateLimitConfig, RateLimiter } from './RateLimiter.js'

/** How the server enforces one `rateLimits` entry of a behaviour. */
export interface TypeLimit {
  readonly config: RateLimitConfig
  /** One bucket per user in the room, shared by its connections there (else one per connection). */
  readonly perUser: boolean
}

/**
 * The token buckets of the types a room's behaviour limits, for one holder in one room: a user
 * (shared by its connections there) or a single connection. A type's bucket is made on its first frame.
 */
export class TypeBuckets {
  /** The user's connections in the room that hold it (see `UserRateLimits`). */
  holders = 0
  #byType: Map<string, RateLimiter> | undefined = undefined

  /** @param id The holder's key in `UserRateLimits` ('' for a connection's own). */
  constructor(readonly id: string) {}

  take(type: string, config: RateLimitConfig, now: number): RateDecision {
    let map = this.#byType
    if (map === undefined) this.#byType = map = new Map()
    let limiter = map.get(type)
    if (limiter === undefined) {
      limiter = new RateLimiter(config, now)
      map.set(type, limiter)
    }
    return limiter.take(now)
  }
}
