import type { Frame } from '../support/harness.js'

/** What one reader saw of the (publisher, seq) stream. */
export interface DeliveryReport {
  /** Messages each publisher sent that the reader never got (and was not told it missed). */
  lost: number
  /** Messages seen twice (same publisher and seq). */
  duplicated: number
  /** Messages that arrived after a later seq of the same publisher. */
  reordered: number
  /** Offsets the server said were gone (`recovered: false`): loss made visible. */
  gaps: number
}

/** The text a checked publisher sends: its id and a sequence number. */
export const stamp = (publisher: string, seq: number): string => `${publisher}#${seq}`

function parse(text: unknown): { publisher: string; seq: number } | undefined {
  if (typeof text !== 'string') return undefined
  const i = text.lastIndexOf('#')
  if (i < 0) return undefined
  return { publisher: text.slice(0, i), seq: Number(text.slice(i + 1)) }
}

/**
 * Jepsen-style checker: every publisher sends (publisherId, seq) with seq 0, 1, 2…;
 * `check` walks the `message` frames one reader got in `roomId` (live frames, and the
 * `history` frames that answer its joins) in arrival order and counts what was lost,
 * duplicated or reordered. `expected` is how many each publisher sent while the reader
 * was there: `from` (the first seq it could see) up to `to` (exclusive); a gap the
 * server reported (`recovered: false`) is counted as such, not as loss.
 */
export function check(
  frames: readonly Frame[],
  roomId: string,
  expected: ReadonlyMap<string, { from: number; to: number }>,
): DeliveryReport {
  const report: DeliveryReport = { lost: 0, duplicated: 0, reordered: 0, gaps: 0 }
  const seen = new Map<string, Set<number>>()
  const last = new Map<string, number>()
  let lastOffset: number | undefined
  const take = (m: Frame) => {
    const id = parse(m.text)
    if (!id || !expected.has(id.publisher)) return
    const set = seen.get(id.publisher) ?? new Set<number>()
    seen.set(id.publisher, set)
    if (set.has(id.seq)) report.duplicated++
    else set.add(id.seq)
    if ((last.get(id.publisher) ?? -1) > id.seq) report.reordered++
    else last.set(id.publisher, id.seq)
    if (typeof m.offset === 'number') lastOffset = m.offset
  }
  for (const f of frames) {
    if (f.roomId !== roomId) continue
    if (f.type === 'message') take(f)
    else if (f.type === 'history') {
      const messages = (f.messages ?? []) as Frame[]
      if (f.recovered === false && lastOffset !== undefined && messages[0]?.offset !== undefined) {
        const before = messages[0].offset as number
        if (before > lastOffset + 1) report.gaps += before - lastOffset - 1
      }
      for (const m of messages) take(m)
    }
  }
  for (const [publisher, { from, to }] of expected) {
    const set = seen.get(publisher) ?? new Set<number>()
    for (let seq = from; seq < to; seq++) if (!set.has(seq)) report.lost++
  }
  // messages inside a gap the server reported are visible loss, not silent loss (every
  // message in the checked room comes from a checked publisher: one offset, one message)
  report.lost = Math.max(0, report.lost - report.gaps)
  return report
}
