/** Reconnect backoff: `minMs × factor^attempt` capped at `maxMs`, then up to `jitter` of it randomised away. */
export interface BackoffOptions {
  /** First delay, and the floor of every delay (ms). Default 500. */
  minMs: number
  /** Ceiling of every delay (ms). Default 10 000. */
  maxMs: number
  /** Growth per failed attempt. Default 2. */
  factor: number
  /** 0–1: the share of each delay that is random, so a fleet of clients does not reconnect in step. Default 0.5. */
  jitter: number
}

export const defaultBackoff: BackoffOptions = { minMs: 500, maxMs: 10_000, factor: 2, jitter: 0.5 }

/** The delay before reconnect attempt `attempt` (0 for the first retry); always within [minMs, maxMs]. */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const { minMs, maxMs, factor, jitter } = options
  const base = Math.min(maxMs, minMs * factor ** attempt)
  const delay = base * (1 - jitter * random())
  return Math.max(minMs, Math.min(maxMs, Math.round(delay)))
}
