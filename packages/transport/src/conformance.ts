import type { Transport, TransportOptions } from './Transport.js'

/** An adapter under test: how to build one transport with given options. */
export interface ConformanceTarget {
  /** Suite title, e.g. 'ws' or 'uws'. */
  name: string
  create<I = unknown>(options?: TransportOptions<I>): Transport<I>
}

/**
 * Registers the whole transport conformance suite (vitest `describe`/`test`)
 * against one adapter. An adapter's test file is one call to this.
 */
export function runTransportConformance(_target: ConformanceTarget): void {
  throw new Error('the conformance suite is not written yet')
}
