import { fileURLToPath } from 'node:url'
import type { TransportName } from './benchTransport.js'
import { PinnedChild } from './PinnedChild.js'

/**
 * Memory per idle connection: CONNECTIONS sockets, each joined to one of ROOMS
 * rooms, from a client process on CPU 0; the server (CPU 1) is measured after
 * forced full GCs, minus the same server with no connections. Both states are read
 * once RSS has stopped falling (V8 returns pooled pages some seconds after a burst);
 * the RSS read at once, before that, is printed beside it.
 * `full` is the Hubbub server; `raw` the Hubbub transport adapter with one topic
 * subscription per socket; `bare` the library alone (one topic), to compare with
 * the independent figures (uWebSockets.js 1.1 KiB, ws 6.9 KiB RSS per connection).
 *
 * Env: CONNECTIONS (10000), ROOMS (100), TRANSPORTS (ws,uws), MODES (full,raw,bare),
 *      HEAP_SNAPSHOT_DIR (write server heap snapshots, empty and loaded),
 *      SERVER_NODE_FLAGS (extra node flags for the server, e.g. `--max-semi-space-size=1`).
 */
const connections = Number(process.env.CONNECTIONS ?? 10_000)
const rooms = Number(process.env.ROOMS ?? 100)
const transports = (process.env.TRANSPORTS ?? 'ws,uws').split(',') as TransportName[]
type Mode = 'full' | 'raw' | 'bare'
const modes = (process.env.MODES ?? 'full,raw,bare').split(',') as Mode[]
const FLOORS: Record<TransportName, number> = { uws: 4, ws: 10 }
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url))

interface Memory {
  /** RSS right after the forced GCs, before the process has settled. */
  rssNow: number
  /** Everything below: once RSS has stopped falling (see settledMemory in memoryServer.ts). */
  rss: number
  heapUsed: number
  /** V8 heap committed, used or not: old-space pages a GC left partly empty still count in RSS. */
  heapTotal: number
  external: number
  arrayBuffers: number
  waitedMs: number
}

interface Row {
  transport: TransportName
  mode: Mode
  rssKiB: number
  rssNowKiB: number
  heapKiB: number
  heapTotalKiB: number
  externalKiB: number
  emptyRssMiB: number
  settleS: number
}

async function measure(transport: TransportName, mode: Mode): Promise<Row> {
  const server = new PinnedChild(
    1,
    here('./memoryServer.ts'),
    [transport, mode],
    ['--expose-gc', ...(process.env.SERVER_NODE_FLAGS?.split(' ').filter(Boolean) ?? [])],
  )
  let clients: PinnedChild | undefined
  try {
    const { port } = await server.next<{ port: number }>('listening')
    const empty = await server.request<Memory>({ type: 'measure' }, 'memory')
    clients = new PinnedChild(0, here('./memoryClients.ts'))
    const { open } = await clients.request<{ open: number }>(
      { type: 'setup', port, connections, rooms, mode },
      'ready',
    )
    if (open !== connections) throw new Error(`only ${open}/${connections} connections stayed open`)
    const loaded = await server.request<Memory>({ type: 'measure' }, 'memory')
    const per = (k: keyof Memory) => (loaded[k] - empty[k]) / connections / 1024
    return {
      transport,
      mode,
      rssKiB: per('rss'),
      rssNowKiB: per('rssNow'),
      heapKiB: per('heapUsed'),
      heapTotalKiB: per('heapTotal'),
      externalKiB: per('external'),
      emptyRssMiB: empty.rss / 1024 / 1024,
      settleS: (empty.waitedMs + loaded.waitedMs) / 1000,
    }
  } finally {
    await Promise.all([clients?.stop(), server.stop()])
  }
}

const label: Record<Mode, string> = {
  full: 'full server',
  raw: 'transport adapter',
  bare: 'library alone',
}
const rows: Row[] = []
for (const transport of transports) {
  for (const mode of modes) {
    const row = await measure(transport, mode)
    rows.push(row)
    console.error(
      `  ${transport} ${mode}: ${row.rssKiB.toFixed(2)} KiB RSS settled (${row.rssNowKiB.toFixed(2)} right after setup), ${row.heapKiB.toFixed(2)} KiB heap per connection`,
    )
  }
}

const table = [
  [
    'transport',
    'server',
    'RSS KiB/conn',
    'RSS at once',
    'heap KiB/conn',
    'heap committed KiB/conn',
    'external KiB/conn',
    'empty RSS MiB',
    'settle s',
    'floor',
  ],
]
for (const r of rows) {
  table.push([
    r.transport,
    label[r.mode],
    r.rssKiB.toFixed(2),
    r.rssNowKiB.toFixed(2),
    r.heapKiB.toFixed(2),
    r.heapTotalKiB.toFixed(2),
    r.externalKiB.toFixed(2),
    r.emptyRssMiB.toFixed(1),
    r.settleS.toFixed(0),
    r.mode === 'full' ? `≤ ${FLOORS[r.transport]} ${r.rssKiB <= FLOORS[r.transport] ? 'ok' : 'MISSED'}` : '-',
  ])
}
const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)))
for (const row of table)
  console.log(row.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '))
console.log(
  JSON.stringify({
    bench: 'server-memory',
    connections,
    rooms,
    floorsRssKiB: FLOORS,
    results: rows.map((r) => ({
      transport: r.transport,
      server: r.mode,
      rssKiBPerConn: Number(r.rssKiB.toFixed(2)),
      rssAtOnceKiBPerConn: Number(r.rssNowKiB.toFixed(2)),
      heapKiBPerConn: Number(r.heapKiB.toFixed(2)),
      heapCommittedKiBPerConn: Number(r.heapTotalKiB.toFixed(2)),
      externalKiBPerConn: Number(r.externalKiB.toFixed(2)),
      ...(r.mode === 'full' ? { withinFloor: r.rssKiB <= FLOORS[r.transport] } : {}),
    })),
  }),
)
