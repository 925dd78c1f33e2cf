/**
 * One server variant under benchmark: it accepts WebSocket subscribers on
 * `/ws`, subscribes each to the bench topic, and fans out `publish` to them.
 * Variants are small modules so other benches (e.g. the full server) can add their own.
 */
export interface BenchServer {
  readonly port: number
  /** Subscribers currently connected and subscribed. */
  subscribers(): number
  /** Fans one already-encoded message out to every subscriber. */
  publish(data: string): void
  close(): Promise<void>
}

export type BenchServerFactory = () => Promise<BenchServer>

/** The topic every subscriber joins. */
export const BENCH_TOPIC = 'bench'
