import { describe, expect, it } from 'vitest'
import { runScript } from './runScript.js'

/**
 * Smoke test of `bench:inspector` at tiny sizes (one round, 20 members, a few thousand actor
 * messages): every variant runs, the tables are printed side by side, and the last line is the
 * JSON object the acceptance reads. The figures themselves are noise at these sizes; only their
 * presence and how they combine are checked.
 */
const runBench = () =>
  runScript('src/inspector/inspectorBench.ts', [], {
    ROUNDS: '1',
    MEMBERS: '20',
    PUBLISHES: '100',
    WARMUP: '20',
    ACTOR_CASTS: '20000',
    ACTOR_CALLS: '5000',
    ACTOR_REPS: '1',
  })

describe('the inspector overhead bench (tiny sizes)', () => {
  it('pairs the fan-out and the actor workload and ends with closedOverheadPct and openOverheadPct', async () => {
    const { code, lines, stderr } = await runBench()
    expect(code, stderr).toBe(0)
    const last = JSON.parse(lines.at(-1)!) as Record<string, any>
    for (const key of [
      'closedOverheadPct',
      'openOverheadPct',
      'fanoutClosedOverheadPct',
      'actorClosedOverheadPct',
      'actorCastOverheadPct',
      'actorCallOverheadPct',
    ])
      expect(Number.isFinite(last[key]), key).toBe(true)
    expect(last.closedOverheadPct).toBe(Math.max(last.fanoutClosedOverheadPct, last.actorClosedOverheadPct))
    expect(last.actorClosedOverheadPct).toBe(Math.max(last.actorCastOverheadPct, last.actorCallOverheadPct))
    for (const v of ['disabled', 'closed', 'open']) expect(last.medianCpuMsPer1M[v], v).toBeGreaterThan(0)
    for (const v of ['disabled', 'closed']) {
      expect(last.actorMedians.castPerSec[v], v).toBeGreaterThan(0)
      expect(last.actorMedians.callUs[v], v).toBeGreaterThan(0)
    }
    // Both tables, each variant a row, side by side with its median.
    const out = lines.join('\n')
    for (const row of ['disabled', 'closed', 'open', 'disabled casts/CPU s', 'closed CPU µs/call'])
      expect(out).toMatch(new RegExp(`^${row} `, 'm'))
  })
})
