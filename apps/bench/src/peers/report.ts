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
const rate = (row: FanoutRow | undefined) =>
  row ? `${row.serverSaturated ? '' : '≥ '}${num(row.maxCleanPerSecond, 0)}` : '–'

export function renderMarkdown(results: Results): string {
  const members = Object.keys(results.peers[0]?.fanout ?? {}).map(Number)
  const lines = [
    `# Peer bench, ${results.date.slice(0, 16).replace('T', ' ')} UTC on ${results.host}`,
    '',
    `Mode \`${results.mode}\`, Node ${results.node}, server on core ${results.cores.server}, ` +
      `${results.generators} generator process(es) on core ${results.cores.generator}, ${results.payloadBytes}-byte payloads, ` +
      `${results.windowMs.warmup} ms warm-up + ${results.windowMs.measured} ms measured per step, ${results.runs} run(s) (median). ` +
      `Load average at the end: ${results.loadAverage.map((l) => l.toFixed(2)).join(' ')}` +
      (results.loaded ? ' — **loaded machine: these numbers are not floors**.' : '.'),
    '',
    "`≥` marks a maximum the generator reached before the server gave out (not the server's ceiling).",
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

/** A log-log chart of achieved deliveries/s against p99, one line per peer, and bar panels. */
export function renderSvg(results: Results): string {
  const members = quotedMembers(results)
  const W = 800
  const plot = { x: 70, y: 40, w: 680, h: 300 }
  const points = results.peers.map((p, i) => ({
    label: p.label,
    color: COLORS[i % COLORS.length]!,
    steps: (members === undefined ? [] : (p.fanout[members]?.steps ?? [])).filter(
      (s) => s.achieved > 0 && s.p99Ms > 0,
    ),
  }))
  const all = points.flatMap((p) => p.steps)
  const [xMin, xMax] = all.length
    ? [Math.min(...all.map((s) => s.achieved)), Math.max(...all.map((s) => s.achieved))]
    : [1, 10]
  const [yMin, yMax] = all.length
    ? [Math.min(...all.map((s) => s.p99Ms)), Math.max(...all.map((s) => s.p99Ms))]
    : [1, 10]
  const lx = (v: number) => Math.log10(v)
  const sx = (v: number) => plot.x + ((lx(v) - lx(xMin / 1.2)) / (lx(xMax * 1.2) - lx(xMin / 1.2))) * plot.w
  const sy = (v: number) =>
    plot.y + plot.h - ((lx(v) - lx(yMin / 1.5)) / (lx(yMax * 1.5) - lx(yMin / 1.5))) * plot.h
  const out: string[] = [
    `<text x="10" y="20" font-weight="bold">Fan-out, 1 room × ${members ?? '?'}: p99 latency (ms, log) vs delivered/s (log)${results.loaded ? ' — loaded machine' : ''}</text>`,
    `<rect x="${plot.x}" y="${plot.y}" width="${plot.w}" height="${plot.h}" fill="none" stroke="#999"/>`,
    `<text x="${plot.x}" y="${plot.y + plot.h + 16}">${num(xMin, 0)}/s</text>`,
    `<text x="${plot.x + plot.w - 80}" y="${plot.y + plot.h + 16}">${num(xMax, 0)}/s</text>`,
    `<text x="10" y="${plot.y + 10}">${num(yMax)} ms</text>`,
    `<text x="10" y="${plot.y + plot.h}">${num(yMin)} ms</text>`,
  ]
  points.forEach((p, i) => {
    if (p.steps.length > 0) {
      const d = p.steps
        .map((s, k) => `${k ? 'L' : 'M'}${sx(s.achieved).toFixed(1)},${sy(s.p99Ms).toFixed(1)}`)
        .join(' ')
      out.push(`<path d="${d}" fill="none" stroke="${p.color}" stroke-width="2"/>`)
      for (const s of p.steps)
        out.push(
          `<circle cx="${sx(s.achieved).toFixed(1)}" cy="${sy(s.p99Ms).toFixed(1)}" r="3" fill="${p.color}"/>`,
        )
    }
    out.push(
      `<rect x="${plot.x + 10}" y="${plot.y + 8 + i * 16}" width="10" height="10" fill="${p.color}"/>`,
      `<text x="${plot.x + 26}" y="${plot.y + 17 + i * 16}">${esc(p.label)}</text>`,
    )
  })
  let y = plot.y + plot.h + 30
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
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y + 10}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...out,
    '</svg>',
    '',
  ].join('\n')
}
