import { describe, expect, it } from 'vitest'
import { fanoutRow, quotedSteps } from '../src/peers/rows.js'
import type { Step } from '../src/peers/types.js'

/** A measured step: clean unless told, the generator at `gen` of its core, the server at `server`. */
function step(offered: number, gen: number, server: number, clean = true): Step {
  return {
    offered,
    achieved: offered,
    expected: offered,
    delivered: offered,
    lost: clean ? 0 : 1,
    dups: 0,
    p50Ms: 1,
    p99Ms: clean ? 5 : 200,
    p999Ms: 10,
    maxMs: 20,
    serverCpuS: server,
    serverCoreShare: server,
    cpuSPer1M: server / (offered / 1e6),
    genCpuShare: gen,
    genStalls: 0,
    latencySamples: offered,
    clean,
    clientBound: gen >= 0.9,
  }
}

describe('reading a stepped row', () => {
  it('quotes clean steps only while the generator stays under 90% of its core', () => {
    const steps = [
      step(25e3, 0.46, 0.24),
      step(75e3, 0.82, 0.55),
      step(100e3, 0.94, 0.72),
      step(125e3, 0.94, 0.87, false),
    ]
    const { quoted, stop } = quotedSteps(steps)
    expect(quoted.map((s) => s.offered)).toEqual([25e3, 75e3])
    expect(stop?.offered).toBe(125e3)
    const row = fanoutRow(steps, 10, 1000)
    // the clean step at 100k measured the generator as much as the server: shown, not quoted
    expect(row.maxCleanPerSecond).toBe(75e3)
    expect(row.serverSaturated).toBe(false)
    expect(row.clientTrusted).toBe(true)
    expect(row.steps).toHaveLength(4)
  })

  it('quotes a clean step the generator had headroom on past client-bound ones (batching set in)', () => {
    const steps = [
      step(50e3, 0.59, 0.57),
      step(100e3, 0.95, 0.95),
      step(800e3, 0.87, 0.99),
      step(1.2e6, 0.77, 0.97, false),
    ]
    const row = fanoutRow(steps, 1000)
    expect(row.maxCleanPerSecond).toBe(800e3)
    expect(row.serverSaturated).toBe(true)
    expect(row.clientTrusted).toBe(true)
  })

  it('takes the maximum as the server ceiling when the next step broke with the generator idle', () => {
    const row = fanoutRow([step(100e3, 0.4, 0.5), step(200e3, 0.5, 0.99, false)], 1000)
    expect(row.maxCleanPerSecond).toBe(100e3)
    expect(row.serverSaturated).toBe(true)
    expect(row.clientTrusted).toBe(true)
  })

  it('takes a client-bound break as the server ceiling only when the server was out of core', () => {
    // 60% of a core at 2M scales to 1.5 cores at 5M: the server could not have kept up
    const out = fanoutRow([step(2e6, 0.6, 0.6), step(5e6, 0.95, 0.99, false)], 1000)
    expect(out.serverSaturated).toBe(true)
    // 30% at 2M scales to 0.75 of a core: the generator gave out first
    const not = fanoutRow([step(2e6, 0.6, 0.3), step(5e6, 0.95, 0.99, false)], 1000)
    expect(not.serverSaturated).toBe(false)
  })

  it('is not trusted when the generator was bound from the first step', () => {
    const row = fanoutRow([step(50e3, 0.95, 0.4), step(100e3, 0.97, 0.6)], 1000)
    expect(row.maxCleanPerSecond).toBe(0)
    expect(row.clientTrusted).toBe(false)
  })

  it('quotes the CPU reference from the first quoted step at 200k/s or more', () => {
    const row = fanoutRow([step(100e3, 0.4, 0.3), step(200e3, 0.5, 0.4), step(400e3, 0.6, 0.6)], 1000)
    expect(row.referenceOffered).toBe(200e3)
    expect(row.cpuSPer1MAtReference).toBeCloseTo(2, 5)
  })
})
