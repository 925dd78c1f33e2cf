import type { FanoutRow, PeerSummary, Ratios, Results } from './types.js'

/** The fan-out size the ratios and the chart quote: 1,000 members when measured. */
function quotedMembers(results: Results): number | undefined {
  const sizes = results.peers.flatMap((p) => Object.keys(p.fanout).map(Number))
  return sizes.includes(1000) ? 1000 : sizes[0]
}

const byPeer = (results: Results, name: string): PeerSummary | undefined =>
  results.peers.find((p) => p.peer === name)

const round = (n: number) => Math.round(n * 100) / 100
const ratio = (a: number | undefined, b: number | undefined): number | null =>
  a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0
    ? null
    : round(a / b)

export function ratios(results: Results): Ratios {
  const members = quotedMembers(results)
  const fan = (name: string): FanoutRow | undefined =>
    members === undefined ? undefined : byPeer(results, name)?.fanout[members]
  /**
   * Throughput A / B: null when B's ceiling was not reached (the generator gave out first), since
   * the ratio then says nothing; when only A's was not reached it is a lower bound.
   */
  const throughput = (a: string, b: string, bothSaturated = false): number | null => {
    const ra = fan(a)
    const rb = fan(b)
    if (!ra || !rb?.serverSaturated || (bothSaturated && !ra.serverSaturated)) return null
    return ratio(ra.maxCleanPerSecond, rb.maxCleanPerSecond)
  }
  const quoted = results.peers.flatMap((p) => [...Object.values(p.fanout), ...(p.rooms ? [p.rooms] : [])])
  const hubRooms = byPeer(results, 'hubbub-uws')?.rooms
  const sioRooms = byPeer(results, 'sio-ws')?.rooms
  return {
    uwsVsRawUwsCpu: ratio(fan('hubbub-uws')?.cpuSPer1MAtReference, fan('raw-uws')?.cpuSPer1MAtReference),
    uwsVsRawUwsThroughput: throughput('hubbub-uws', 'raw-uws', true),
    wsVsRawWsThroughput: throughput('hubbub-ws', 'raw-ws'),
    uwsVsSocketIoThroughput: throughput('hubbub-uws', 'sio-ws'),
    wsVsSocketIoThroughput: throughput('hubbub-ws', 'sio-ws'),
    uwsVsSocketIoMemory: ratio(
      byPeer(results, 'hubbub-uws')?.join?.rssPerConnKiB,
      byPeer(results, 'sio-ws')?.join?.rssPerConnKiB,
    ),
    wsJoinVsRawWs: ratio(byPeer(results, 'hubbub-ws')?.join?.ms, byPeer(results, 'raw-ws')?.join?.ms),
    uwsJoinVsRawUws: ratio(byPeer(results, 'hubbub-uws')?.join?.ms, byPeer(results, 'raw-uws')?.join?.ms),
    roomsUwsVsSocketIo: sioRooms?.serverSaturated
      ? ratio(hubRooms?.maxCleanPerSecond, sioRooms.maxCleanPerSecond)
      : null,
    clientTrusted: quoted.length > 0 && quoted.every((r) => r.clientTrusted),
  }
}

const num = (n: number | undefined, digits = 2) =>
  n === undefined || !Number.isFinite(n) ? '–' : n.toLocaleString('en-US', { maximumFractionDigits: digits })
/** The quoted maximum; a clean step past it that the generator was bound on is named, not quoted. */
const rate = (row: FanoutRow | undefined) => {
  if (!row) return '–'
  const cell = `${row.serverSaturated ? '' : '≥ '}${num(row.maxCleanPerSecond, 0)}`
  const bound = row.steps.filter((s) => s.clean && s.clientBound).at(-1)
  return bound === undefined || bound.achieved <= row.maxCleanPerSecond
    ? cell
    : `${cell} (${num(bound.offered, 0)} clean, generator at ${num(bound.genCpuShare * 100, 0)}%: not quoted)`
}

export function renderMarkdown(results: Results): string {
  const members = Object.keys(results.peers[0]?.fanout ?? {}).map(Number)
  const lines = [
    `# Peer bench, ${results.date.slice(0, 16).replace('T', ' ')} UTC on ${results.host}`,
    '',
    `Mode \`${results.mode}\`, Node ${results.node}, server on core ${results.cores.server}, ` +
      `${results.generators} generator process(es) on core ${results.cores.generator}, ${results.payloadBytes}-byte payloads, ` +
      `${results.windowMs.warmup} ms warm-up + ${results.windowMs.measured} ms measured per step, ${results.runs} run(s) (median). ` +
      `Load average at the end: ${results.loadAverage.map((l) => l.toFixed(2)).join(' ')}` +
      (results.loaded ? ' — **loaded machine: these numbers are not floors**.' : '.') +
      (results.rereadAt
        ? ` Rows and ratios read again from the measured steps on ${results.rereadAt.slice(0, 16).replace('T', ' ')} UTC, with that day's rules.`
        : ''),
    '',
    "`≥` marks a maximum the generator reached before the server gave out (not the server's ceiling). " +
      'A step the generator used 90% of its core or more on is never quoted, even when it was clean.',
    '',
  ]
  const header = [
    'server',
    ...members.map((m) => `max clean deliveries/s, 1 room × ${num(m, 0)}`),
    ...members.map((m) => `server CPU s / 1M deliveries (×${num(m, 0)})`),
    'many rooms: max clean deliveries/s',
    'connect + join (s)',
    'RSS / heap per idle conn (KiB)',
    'one more join (ms)',
  ]
  lines.push(
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
  )
  for (const p of results.peers) {
    const cells = [
      p.label,
      ...members.map((m) => rate(p.fanout[m])),
      ...members.map((m) =>
        p.fanout[m]
          ? `${num(p.fanout[m]!.cpuSPer1MAtReference)} @${num(p.fanout[m]!.referenceOffered, 0)}/s`
          : '–',
      ),
      rate(p.rooms),
      p.join ? `${num(p.join.ms / 1000)} (${num(p.join.conns, 0)} into ${p.join.rooms} rooms)` : '–',
      p.join ? `${num(p.join.rssPerConnKiB)} / ${num(p.join.heapPerConnKiB)}` : '–',
      p.join ? num(p.join.oneMoreJoinMs, 1) : '–',
    ]
    lines.push(`| ${cells.join(' | ')} |`)
  }
  const churned = results.peers.filter((p) => p.churn)
  if (churned.length > 0) {
    lines.push(
      '',
      `Churn (open loop; a cycle is connect, hello, join (answered), leave, close; into ${churned[0]!.churn!.rooms} rooms in turn; ` +
        'join latency from the due time to the answer; a step is clean when every cycle completed, at ≥ 95% of the offered rate, ' +
        `with join p99 ≤ ${results.p99LimitMs} ms):`,
      '',
      '| server | max clean cycles/s | join p99 there (ms) | steps: offered → completed/s, join p99 ms |',
      '| --- | ---: | ---: | --- |',
    )
    for (const p of churned) {
      const c = p.churn!
      const steps = c.steps
        .map(
          (s) =>
            `${num(s.offered, 0)} → ${num(s.achieved, 0)}, ${num(s.p99Ms, 1)}${s.clean ? '' : ' ✗'}${s.clientBound ? ' (client-bound)' : ''}`,
        )
        .join('; ')
      lines.push(
        `| ${p.label} | ${c.serverSaturated ? '' : '≥ '}${num(c.maxCleanPerSecond, 0)} | ${num(c.p99AtMaxMs, 1)} | ${steps} |`,
      )
    }
  }
  const n = results.nodes
  if (n) {
    lines.push(
      '',
      `Hubbub on ${n.nodes} nodes (${n.transport}, one process each, the real Redis, key prefix \`${n.prefix}\`): ` +
        `${num(n.connections, 0)} connections (at most ${num(n.maxConnsPerNode, 0)} per node, ${num(n.maxConnsPerGenerator, 0)} per generator process, ` +
        `${n.generators} generator processes over ${n.sourceAddresses} source addresses), idle rooms of ${n.idleRoomSize}, ` +
        `one room of ${num(n.fanoutMembers, 0)} members on every node with one publisher at ${num(n.publishesPerSecond, 0)}/s:`,
      '',
      '| connect + join (s) | settled RSS / heap per connection (KiB, all nodes) | fan-out deliveries/s | lost | dup | p50 / p99 / max (ms) | Redis used_memory Δ (MiB) | wall time (s) |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      `| ${num(n.connectMs / 1000, 1)} | ${num(n.rssPerConnKiB)} / ${num(n.heapPerConnKiB)} | ${num(n.step.achieved, 0)} | ${n.step.lost} | ${n.step.dups} | ` +
        `${num(n.step.p50Ms, 1)} / ${num(n.step.p99Ms, 1)} / ${num(n.step.maxMs, 1)} | ${num(n.redisUsedMemoryDeltaMiB ?? undefined, 1)} | ${num(n.wallMs / 1000, 0)} |`,
    )
  }
  lines.push('', '| ratio | value |', '| --- | ---: |')
  for (const [k, v] of Object.entries(results.ratios))
    lines.push(`| ${k} | ${v === null ? 'null' : String(v)} |`)
  lines.push(
    '',
    `Versions: ${Object.entries(results.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.`,
    '',
  )
  return lines.join('\n')
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2']
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;')

/** Bars of one figure per peer, in a panel at `y`. */
function bars(
  title: string,
  y: number,
  values: Array<{ label: string; value: number; color: string }>,
): string {
  const w = 520
  const max = Math.max(1e-9, ...values.map((v) => (Number.isFinite(v.value) ? v.value : 0)))
  const out = [`<text x="10" y="${y + 16}" font-weight="bold">${esc(title)}</text>`]
  values.forEach((v, i) => {
    const by = y + 28 + i * 20
    const len = Number.isFinite(v.value) ? (v.value / max) * w : 0
    out.push(
      `<text x="10" y="${by + 12}">${esc(v.label)}</text>`,
      `<rect x="200" y="${by}" width="${len.toFixed(1)}" height="14" fill="${v.color}"/>`,
      `<text x="${(205 + len).toFixed(1)}" y="${by + 12}">${Number.isFinite(v.value) ? num(v.value) : '–'}</text>`,
    )
  })
  return out.join('\n')
}

interface Series {
  label: string
  color: string
  points: Array<{ x: number; y: number }>
}

/** A log-log line chart (one line per series) with its title, at `top`; answers its SVG and height. */
function lineChart(
  title: string,
  top: number,
  xUnit: string,
  series: Series[],
): { svg: string; height: number } {
  const plot = { x: 70, y: top + 40, w: 680, h: 300 }
  const all = series.flatMap((p) => p.points).filter((p) => p.x > 0 && p.y > 0)
  const [xMin, xMax] = all.length
    ? [Math.min(...all.map((p) => p.x)), Math.max(...all.map((p) => p.x))]
    : [1, 10]
  const [yMin, yMax] = all.length
    ? [Math.min(...all.map((p) => p.y)), Math.max(...all.map((p) => p.y))]
    : [1, 10]
  const lx = (v: number) => Math.log10(v)
  const sx = (v: number) => plot.x + ((lx(v) - lx(xMin / 1.2)) / (lx(xMax * 1.2) - lx(xMin / 1.2))) * plot.w
  const sy = (v: number) =>
    plot.y + plot.h - ((lx(v) - lx(yMin / 1.5)) / (lx(yMax * 1.5) - lx(yMin / 1.5))) * plot.h
  const out: string[] = [
    `<text x="10" y="${top + 20}" font-weight="bold">${esc(title)}</text>`,
    `<rect x="${plot.x}" y="${plot.y}" width="${plot.w}" height="${plot.h}" fill="none" stroke="#999"/>`,
    `<text x="${plot.x}" y="${plot.y + plot.h + 16}">${num(xMin, 0)}${xUnit}</text>`,
    `<text x="${plot.x + plot.w - 80}" y="${plot.y + plot.h + 16}">${num(xMax, 0)}${xUnit}</text>`,
    `<text x="10" y="${plot.y + 10}">${num(yMax)} ms</text>`,
    `<text x="10" y="${plot.y + plot.h}">${num(yMin)} ms</text>`,
  ]
  series.forEach((p, i) => {
    const points = p.points.filter((q) => q.x > 0 && q.y > 0)
    if (points.length > 0) {
      const d = points.map((q, k) => `${k ? 'L' : 'M'}${sx(q.x).toFixed(1)},${sy(q.y).toFixed(1)}`).join(' ')
      out.push(`<path d="${d}" fill="none" stroke="${p.color}" stroke-width="2"/>`)
      for (const q of points)
        out.push(`<circle cx="${sx(q.x).toFixed(1)}" cy="${sy(q.y).toFixed(1)}" r="3" fill="${p.color}"/>`)
    }
    out.push(
      `<rect x="${plot.x + 10}" y="${plot.y + 8 + i * 16}" width="10" height="10" fill="${p.color}"/>`,
      `<text x="${plot.x + 26}" y="${plot.y + 17 + i * 16}">${esc(p.label)}</text>`,
    )
  })
  return { svg: out.join('\n'), height: plot.y + plot.h + 30 - top }
}

/**
 * Log-log charts of p99 against the achieved rate, one line per peer (fan-out: delivered/s; churn:
 * completed cycles/s against join p99), and bar panels.
 */
export function renderSvg(results: Results): string {
  const members = quotedMembers(results)
  const W = 800
  const color = (i: number) => COLORS[i % COLORS.length]!
  const fanout = lineChart(
    `Fan-out, 1 room × ${members ?? '?'}: p99 latency (ms, log) vs delivered/s (log)${results.loaded ? ' — loaded machine' : ''}`,
    0,
    '/s',
    results.peers.map((p, i) => ({
      label: p.label,
      color: color(i),
      points: (members === undefined ? [] : (p.fanout[members]?.steps ?? [])).map((s) => ({
        x: s.achieved,
        y: s.p99Ms,
      })),
    })),
  )
  const out: string[] = [fanout.svg]
  let y = fanout.height
  if (results.peers.some((p) => p.churn)) {
    const churn = lineChart(
      `Churn: join p99 (ms, log) vs completed connect + join + leave + close cycles/s (log)${results.loaded ? ' — loaded machine' : ''}`,
      y,
      '/s',
      results.peers.map((p, i) => ({
        label: p.label,
        color: color(i),
        points: (p.churn?.steps ?? []).map((s) => ({ x: s.achieved, y: s.p99Ms })),
      })),
    )
    out.push(churn.svg)
    y += churn.height
  }
  const panel = (title: string, value: (p: PeerSummary) => number | undefined) => {
    const values = results.peers.map((p, i) => ({
      label: p.label,
      value: value(p) ?? Number.NaN,
      color: COLORS[i % COLORS.length]!,
    }))
    out.push(bars(title, y, values))
    y += 40 + values.length * 20
  }
  if (members !== undefined)
    panel(
      `Server CPU s per 1M deliveries (1 room × ${members})`,
      (p) => p.fanout[members]?.cpuSPer1MAtReference,
    )
  panel('Connect + join, joins/s', (p) => p.join?.joinsPerSecond)
  panel('Settled RSS per idle joined connection, KiB', (p) => p.join?.rssPerConnKiB)
  panel('Many rooms: max clean deliveries/s', (p) => p.rooms?.maxCleanPerSecond)
  if (results.peers.some((p) => p.churn))
    panel('Churn: max clean cycles/s', (p) => p.churn?.maxCleanPerSecond)
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y + 10}" font-family="sans-serif" font-size="12">`,
    `<title>Peer bench, ${esc(results.date.slice(0, 16).replace('T', ' '))} UTC on ${esc(results.host)}</title>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...out,
    '</svg>',
    '',
  ].join('\n')
}
