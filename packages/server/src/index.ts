export { type RateDecision, RateLimitDefaults, RateLimiter, type RateLimitOptions } from './RateLimiter.js'
