import type { ChurnRow, ChurnStep, FanoutRow, Step } from './types.js'

/**
 * How a stepped row is read: which steps it quotes, whether its maximum is the server's ceiling,
 * and whether the generator can be trusted on what it quotes.
 */

/**
 * The ceiling is the server's when the step that broke it left the generator headroom, or when the
 * server was out of core there: it used ≥ 95% of it, and the last clean step's CPU per delivery,
 * scaled to the broken step's rate, needs a whole core or more. (A server whose CPU share jumps
 * past that line is working off a backlog the struggling generator left it, which proves nothing.)
 */
function outOfCore(clean: Step | undefined, broke: Step): boolean {
  if (clean === undefined || !(broke.serverCoreShare >= 0.95)) return false
  return (clean.serverCoreShare * broke.offered) / clean.offered >= 1
}

/**
 * The steps a row may quote: the clean ones before the first unclean step (`stop`), except those
 * the generator used 90% of its core or more on. Those are shown with the row but never quoted: they
 * measure the client as much as the server. `last` is the last clean step, quoted or not.
 */
export function quotedSteps<S extends { clean: boolean; clientBound: boolean }>(
  steps: S[],
): { quoted: S[]; last: S | undefined; stop: S | undefined } {
  const end = steps.findIndex((s) => !s.clean)
  const run = end < 0 ? steps : steps.slice(0, end)
  return {
    quoted: run.filter((s) => !s.clientBound),
    last: run.at(-1),
    stop: end < 0 ? undefined : steps[end],
  }
}

export function fanoutRow(steps: Step[], members: number, rooms = 1): FanoutRow {
  const { quoted, last, stop } = quotedSteps(steps)
  const best = quoted.at(-1)
  // the server's ceiling only when the stepping broke on it right after the quoted maximum
  const saturated = stop !== undefined && last === best && (!stop.clientBound || outOfCore(best, stop))
  const reference = quoted.find((s) => s.offered >= 200e3) ?? quoted[0]
  return {
    rooms,
    members,
    maxCleanPerSecond: best?.achieved ?? 0,
    p99AtMaxMs: best?.p99Ms ?? Number.NaN,
    serverSaturated: saturated,
    cpuSPer1MAtReference: reference?.cpuSPer1M ?? Number.NaN,
    referenceOffered: reference?.offered ?? Number.NaN,
    clientTrusted: trusted(steps, best, reference),
    steps,
  }
}

/** The churn row: read as a fan-out row is, its maximum the server's when the next step broke it. */
export function churnRow(steps: ChurnStep[], rooms: number): ChurnRow {
  const { quoted, last, stop } = quotedSteps(steps)
  const best = quoted.at(-1)
  return {
    rooms,
    maxCleanPerSecond: best?.achieved ?? 0,
    p99AtMaxMs: best?.p99Ms ?? Number.NaN,
    serverSaturated: stop !== undefined && last === best && !stop.clientBound,
    clientTrusted: trusted(steps, best, undefined),
    steps,
  }
}

/**
 * Whether the figures a row quotes were measured with the generator under 90% of its core: read off
 * the quoted steps themselves; with nothing quoted, whether that was the server's doing (its first
 * step failed) rather than the generator's (every clean step was client-bound).
 */
function trusted(
  steps: ReadonlyArray<{ clientBound: boolean }>,
  best: { genCpuShare: number } | undefined,
  reference: { genCpuShare: number } | undefined,
): boolean {
  if (best === undefined) return !steps.some((s) => s.clientBound)
  return [best, reference].every((s) => s === undefined || s.genCpuShare < 0.9)
}
