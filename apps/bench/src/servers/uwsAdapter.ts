import type { BenchServerFactory } from './BenchServer.js'
import { transportServer } from './transportServer.js'

/** `@hubbub/transport-uws`, loaded lazily so the bench still runs (row skipped) before it is built. */
export const uwsAdapter: BenchServerFactory = async () =>
  transportServer((await import('@hubbub/transport-uws')).uwsTransport())
