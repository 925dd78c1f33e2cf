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
  /**
   * The step right after the maximum failed with the generator below 90%, or with the server out
   * of core (rows.ts, `outOfCore`): the maximum is the server's.
   */
  serverSaturated: boolean
  cpuSPer1MAtReference: number
  referenceOffered: number
  /**
   * The maximum and the CPU reference were measured with the generator under 90% of its core (a
   * clean step it was bound on is kept in `steps` but never quoted; see rows.ts, `quotedSteps`).
   */
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

/** One offered churn rate: cycles of connect, hello, join (answered), leave, close per second. */
export interface ChurnStep {
  /** Cycles/s started (open loop, at their due times). */
  offered: number
  /** Cycles/s of the window that completed (joined, left, closed). */
  achieved: number
  /** Cycles due in the measured window, and how they ended. */
  cycles: number
  joined: number
  completed: number
  failed: number
  /** Not started: the generator already held its limit of open churn sockets. */
  skipped: number
  /** Most churn sockets open at once in a generator process. */
  peakOpen: number
  /** Join latency from each cycle's due time to the join's answer (connect and hello included). */
  p50Ms: number
  p99Ms: number
  p999Ms: number
  maxMs: number
  latencySamples: number
  serverCpuS: number
  serverCoreShare: number
  genCpuShare: number
  /** Every window cycle completed, the achieved rate ≥ 95% of the offered, p99 within the limit. */
  clean: boolean
  clientBound: boolean
  errors: Record<string, number>
}

export interface ChurnRow {
  rooms: number
  maxCleanPerSecond: number
  p99AtMaxMs: number
  /** The step right after the maximum failed with the generator below 90% of its core. */
  serverSaturated: boolean
  clientTrusted: boolean
  steps: ChurnStep[]
}

export interface PeerSummary {
  peer: string
  label: string
  join?: JoinRow
  fanout: Record<number, FanoutRow>
  rooms?: FanoutRow
  churn?: ChurnRow
}

/** Hubbub on several nodes (processes) sharing the real Redis: memory and one room's fan-out. */
export interface NodesRow {
  transport: string
  nodes: number
  connections: number
  generators: number
  /** Source addresses the generators used (127.0.0.x). */
  sourceAddresses: number
  /** Most sockets one node / one generator process held. */
  maxConnsPerNode: number
  maxConnsPerGenerator: number
  idleRoomSize: number
  /** Wall time to connect and join every connection. */
  connectMs: number
  /** Settled RSS added per connection, summed over the nodes (read as in the join scenario). */
  rssPerConnKiB: number
  heapPerConnKiB: number
  rssPerNodeMiB: number[]
  /** The fan-out room: members on every node, one publisher. */
  fanoutMembers: number
  publishesPerSecond: number
  step: Step
  /** Redis' used_memory growth over the run (the shared Redis: other users' keys move it too). */
  redisUsedMemoryDeltaMiB: number | null
  prefix: string
  wallMs: number
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
  nodes?: NodesRow
  /** When the rows and ratios were read again from the measured steps (`reread.ts`), if they were. */
  rereadAt?: string
  ratios: Ratios
}
