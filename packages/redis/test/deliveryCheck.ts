import type { GapEvent, Room } from '@hubbub/client'
import { expect } from 'vitest'

/** Messages per publisher in the delivery checks: `HUBBUB_FAULT_MESSAGES`, default 100 (CI-sized). */
export const faultMessages = Number(process.env.HUBBUB_FAULT_MESSAGES ?? 100)

interface Arrival {
  from: string
  seq: number
  epoch: string
  offset: number
}

/** What one member's app saw: every message as (publisher, seq) with its position, and every gap. */
export class Receiver {
  readonly arrivals: Arrival[] = []
  readonly gaps: GapEvent[] = []
  constructor(
    readonly name: string,
    room: Room,
  ) {
    room.on('message', (m) => {
      const [from, seq] = m.text.split(':')
      this.arrivals.push({ from: from!, seq: Number(seq), epoch: room.epoch!, offset: m.offset })
    })
    room.on('gap', (g) => this.gaps.push(g))
  }

  /** True when `m` is covered by a gap this member was told of. */
  reported(m: { epoch: string; offset: number }): boolean {
    return this.gaps.some(
      (g) =>
        (g.epoch === m.epoch && g.from <= m.offset && m.offset <= g.to) ||
        (g.previous?.epoch === m.epoch && m.offset > g.previous.offset),
    )
  }
}

/** Sends `<name>:1` … `<name>:<count>` one after the other; answers the seqs whose send resolved. */
export async function publish(room: Room, name: string, count: number) {
  const confirmed: number[] = []
  let failed = 0
  for (let seq = 1; seq <= count; seq++) {
    try {
      await room.send(`${name}:${seq}`)
      confirmed.push(seq)
    } catch {
      failed++
    }
  }
  return { name, confirmed, failed }
}

/**
 * The (publisher, seq) check at every receiver: no message twice, each publisher's messages in
 * the order sent, and every confirmed message either delivered or inside a gap the member was
 * told of (never lost silently). A confirmed message's position is where its publisher saw it.
 * Waits (generously) for the deliveries still under way; answers counts for the test's report.
 */
export async function checkDelivery(
  receivers: readonly Receiver[],
  published: readonly { name: string; confirmed: number[]; failed: number }[],
) {
  const byName = new Map(receivers.map((r) => [r.name, r]))
  const confirmed: Arrival[] = []
  for (const p of published) {
    const own = byName.get(p.name)!
    for (const seq of p.confirmed) {
      const seen = own.arrivals.find((a) => a.from === p.name && a.seq === seq)
      // The send resolved on its own echo, so its publisher delivered it.
      expect(seen, `${p.name}:${seq} was confirmed but its publisher never showed it`).toBeDefined()
      confirmed.push(seen!)
    }
  }
  const silent = (r: Receiver): string[] =>
    confirmed
      .filter((m) => !r.arrivals.some((a) => a.from === m.from && a.seq === m.seq) && !r.reported(m))
      .map((m) => `${m.from}:${m.seq}`)
  let lost = 0
  for (const r of receivers) {
    await expect.poll(() => silent(r), { timeout: 30_000 }).toEqual([])
    const keys = r.arrivals.map((a) => `${a.from}:${a.seq}`)
    expect(keys.length, `${r.name} got a message twice`).toBe(new Set(keys).size)
    for (const p of published) {
      const seqs = r.arrivals.filter((a) => a.from === p.name).map((a) => a.seq)
      expect(seqs, `${r.name}: ${p.name}'s messages out of order`).toEqual([...seqs].sort((x, y) => x - y))
    }
    lost += confirmed.filter((m) => !r.arrivals.some((a) => a.from === m.from && a.seq === m.seq)).length
  }
  return {
    confirmed: confirmed.length,
    failed: published.reduce((n, p) => n + p.failed, 0),
    lostReportedAsGap: lost,
    gaps: receivers.reduce((n, r) => n + r.gaps.length, 0),
  }
}
