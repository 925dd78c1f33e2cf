import { defaultLimits } from '@hubbub/protocol'
import { describe, expect, test } from 'vitest'
import { type Frame, startServer, TestClient, transports } from '../support/harness.js'
import { check, type DeliveryReport, stamp } from './deliveryChecker.js'

/** Messages per publisher (`CHURN_MESSAGES`); 3 publishers. */
const perPublisher = Number(process.env.CHURN_MESSAGES ?? 1000)
const publishers = ['pubA', 'pubB', 'pubC']
const room = 'feed'

/**
 * Delivery under connection churn: three publishers send (publisherId, seq) into one
 * room while members connect, join and vanish (a clean leave, a close, a TCP
 * terminate) around three members who stay, and three who drop their connection three
 * times and come back with `since`. The checker (deliveryChecker.ts) must find 0 lost,
 * 0 duplicated and 0 reordered for all of them: the room's history holds the whole run,
 * so every rejoin recovers (`recovered: true`); a gap the server reports
 * (`recovered: false`) would be counted apart from silent loss.
 */
describe.each(transports)('chaos over $name: delivery under churn', ({ factory }) => {
  test(`${publishers.length} × ${perPublisher} sequenced messages: nothing lost, duplicated or reordered`, async () => {
    const s = await startServer(factory, {
      limits: { ...defaultLimits, ratePerSecond: 10_000, rateBurst: 10_000 },
      // the room keeps every message of the run, so each rejoin with `since` can recover
      historySize: publishers.length * perPublisher,
    })
    const stayers = await Promise.all(['stay0', 'stay1', 'stay2'].map((n) => member(s.url, n)))
    const pubs = await Promise.all(publishers.map((n) => member(s.url, n)))
    let publishing = true
    let finished!: () => void
    const done = new Promise<undefined>((r) => {
      finished = () => r(undefined)
    })
    /** Waits for `f`, or until the publishers are done (then nothing more will come). */
    const untilDone = (p: Promise<unknown>) => Promise.race([p.catch(() => undefined), done])

    const publish = async (c: TestClient, id: string) => {
      for (let seq = 0; seq < perPublisher; seq++) {
        c.send({ type: 'message', roomId: room, text: stamp(id, seq) })
        // a burst of 10, then wait for our own echo: paced by the server, not by a clock
        if (seq % 10 === 9 || seq === perPublisher - 1) {
          const text = stamp(id, seq)
          await c.waitFor((f) => f.type === 'message' && f.text === text, 0, 30_000)
        }
      }
    }

    let churned = 0
    const churn = async (worker: number) => {
      for (let i = 0; publishing; i++) {
        const c = await member(s.url, `churn${worker}-${i}`)
        // stay for a few of the room's messages
        const from = c.frames.length
        await untilDone(c.waitFor((f) => f.type === 'message', from, 30_000))
        if (i % 3 === 0) await c.request({ type: 'leave', roomId: room })
        if (i % 3 === 2) c.ws.terminate()
        else c.close()
        churned++
      }
    }

    /** Drops its connection three times and rejoins with `since` from a new one; returns every frame it got. */
    const recover = async (worker: number): Promise<Frame[]> => {
      const frames: Frame[] = []
      let c = await member(s.url, `rec${worker}-0`)
      for (let cycle = 1; cycle <= 3 && publishing; cycle++) {
        await untilDone(c.waitFor((f) => f.type === 'message', c.frames.length, 30_000))
        frames.push(...c.frames)
        const lastSeen = [...c.frames].reverse().find((f) => f.type === 'message' || f.type === 'history')
        const offset =
          lastSeen?.type === 'message'
            ? (lastSeen.offset as number)
            : ((lastSeen?.messages as Frame[] | undefined)?.at(-1)?.offset ?? joinedOffset(c))
        const epoch = c.frames.find((f) => f.type === 'joined')?.epoch as string
        c.ws.terminate()
        // away while a few of a stayer's messages pass
        const mark = stayers[0]!.frames.length
        await untilDone(stayers[0]!.waitFor((f) => f.type === 'message', mark + 20, 30_000))
        c = await TestClient.connect(s.url)
        await c.join(room, `rec${worker}-${cycle}`, { since: { offset, epoch } })
        await c.waitFor((f) => f.type === 'history' && f.roomId === room, 0, 10_000)
      }
      // the last connection stays to the end
      await Promise.all(publishers.map((p) => waitForSeq(c, p, perPublisher - 1)))
      frames.push(...c.frames)
      return frames
    }

    const churners = [0, 1, 2].map(churn)
    const recoverers = [0, 1, 2].map(recover)
    await Promise.all(pubs.map((c, i) => publish(c, publishers[i]!)))
    publishing = false
    finished()
    await Promise.all(churners)
    const recovered = await Promise.all(recoverers)
    for (const c of stayers) await Promise.all(publishers.map((p) => waitForSeq(c, p, perPublisher - 1)))

    const all = new Map(publishers.map((p) => [p, { from: 0, to: perPublisher }]))
    const stayReports = stayers.map((c) => check(c.frames, room, all))
    const recoverReports = recovered.map((frames) => check(frames, room, firstSeen(frames)))
    console.info(
      `churn: ${churned} members came and went; stayers ${format(stayReports)}; recoverers ${format(recoverReports)}`,
    )
    for (const r of stayReports) expect(r).toEqual({ lost: 0, duplicated: 0, reordered: 0, gaps: 0 })
    for (const r of recoverReports) expect(r).toEqual({ lost: 0, duplicated: 0, reordered: 0, gaps: 0 })
    // the rejoins did recover something (they were away while messages passed)
    const recoveredMessages = recovered
      .flat()
      .filter((f) => f.type === 'history' && f.recovered === true)
      .reduce((n, f) => n + (f.messages as Frame[]).length, 0)
    expect(recoveredMessages).toBeGreaterThan(0)
    // the churners' and dropped connections are all gone
    await expect
      .poll(() => s.server.connections, { timeout: 20_000 })
      .toBe(stayers.length + pubs.length + recoverers.length)
  }, 240_000)
})

async function member(url: string, name: string): Promise<TestClient> {
  const c = await TestClient.connect(url)
  await c.join(room, name)
  return c
}

function joinedOffset(c: TestClient): number {
  return c.frames.find((f) => f.type === 'joined')?.offset as number
}

function waitForSeq(c: TestClient, publisher: string, seq: number): Promise<Frame> {
  const text = stamp(publisher, seq)
  return c.waitFor((f) => f.type === 'message' && f.text === text, 0, 60_000)
}

/** Each publisher's range a late joiner must have: from the first seq it saw to the end. */
function firstSeen(frames: readonly Frame[]): Map<string, { from: number; to: number }> {
  const from = new Map<string, number>()
  const note = (m: Frame) => {
    const text = String(m.text)
    const i = text.lastIndexOf('#')
    const p = text.slice(0, i)
    const seq = Number(text.slice(i + 1))
    if (publishers.includes(p) && seq < (from.get(p) ?? Number.POSITIVE_INFINITY)) from.set(p, seq)
  }
  for (const f of frames) {
    if (f.roomId !== room) continue
    if (f.type === 'message') note(f)
    if (f.type === 'history') for (const m of (f.messages ?? []) as Frame[]) note(m)
  }
  return new Map(publishers.map((p) => [p, { from: from.get(p) ?? perPublisher, to: perPublisher }]))
}

function format(reports: DeliveryReport[]): string {
  return reports.map((r) => `${r.lost}/${r.duplicated}/${r.reordered}/gap ${r.gaps}`).join(', ')
}
