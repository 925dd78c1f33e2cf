/** One offered rate of a stepped scenario, measured over the window. */
export interface Step {
  /** Offered deliveries/s (publishes/s × members of the room). */
  offered: number
  /** Deliveries/s of messages sent in the window. */
  achieved: number
  expected: number
  delivered: number
  lost: number
  dups: number
  p50Ms: number
  p99Ms: number
  p999Ms: number
  maxMs: number
  serverCpuS: number
  serverCoreShare: number
  cpuSPer1M: number
  /** The busiest generator process's share of its core over the window. */
  genCpuShare: number
  genStalls: number
  /** Latencies recorded in the histogram: one per `latencyEvery`-th delivery in the window. */
  latencySamples: number
  /** Nothing lost or duplicated, p99 within the limit. */
  clean: boolean
  /** The generator used ≥ 90% of its core or could not write: the step measures the client. */
  clientBound: boolean
}

export interface FanoutRow {
  rooms: number
  members: number
  maxCleanPerSecond: number
  p99AtMaxMs: number
  /** A step past the maximum failed with the generator below 90%: the maximum is the server's. */
  serverSaturated: boolean
  cpuSPer1MAtReference: number
  referenceOffered: number
  /** No clean step was client-bound. */
  clientTrusted: boolean
  steps: Step[]
}

export interface JoinRow {
  conns: number
  rooms: number
  /** Wall time to connect and join every client (at most 100 in flight). */
  ms: number
  joinsPerSecond: number
  serverCpuS: number
  /** Settled RSS (and heap after GC) added per idle joined connection. */
  rssPerConnKiB: number
  heapPerConnKiB: number
  /** Connect + join of one more client once all are in. */
  oneMoreJoinMs: number
}

export interface PeerSummary {
  peer: string
  label: string
  join?: JoinRow
  fanout: Record<number, FanoutRow>
  rooms?: FanoutRow
}

export interface Ratios {
  uwsVsRawUwsCpu: number | null
  uwsVsRawUwsThroughput: number | null
  wsVsRawWsThroughput: number | null
  uwsVsSocketIoThroughput: number | null
  wsVsSocketIoThroughput: number | null
  uwsVsSocketIoMemory: number | null
  wsJoinVsRawWs: number | null
  uwsJoinVsRawUws: number | null
  roomsUwsVsSocketIo: number | null
  clientTrusted: boolean
}

export interface Results {
  bench: 'peers'
  mode: string
  date: string
  host: string
  loadAverage: number[]
  /** Load average above 1.5 at the end: the numbers are not floors. */
  loaded: boolean
  node: string
  cores: { server: number; generator: number }
  generators: number
  payloadBytes: number
  /** Latency is recorded for every n-th message of each publisher; every message is counted. */
  latencyEvery: number
  p99LimitMs: number
  windowMs: { warmup: number; measured: number }
  runs: number
  versions: Record<string, string>
  peers: PeerSummary[]
  ratios: Ratios
}
