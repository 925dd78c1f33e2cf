/**
 * `pnpm --filter @hubbub/yjs bench`: Hubbub's `yjsRoom` against Hocuspocus 3 under the same
 * typing load, in paired order (A B C C B A) so that drift of a loaded machine cancels. Each run
 * is a fresh server pinned to CPU 0 and a fresh generator pinned to CPU 1. The last line printed
 * is a JSON summary.
 *
 * Options: --docs 100 --editors 5 --rate 10 (updates/s per editor) --warmup 3 --seconds 10
 * --servers hubbub-ws,hubbub-uws,hocuspocus --profile DIR (CPU profiles of the Hubbub servers)
 */
import { execFileSync } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { BenchChild, type Message } from './ipc.js'

export type ServerKind = 'hubbub-ws' | 'hubbub-uws' | 'hocuspocus'

export interface RunResult {
  server: ServerKind
  serverCpuPercent: number
  cpuPerUpdateUs: number
  generatorCpuPercent: number
  updatesPerSecond: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  lostDeliveries: number
  heapBytesPerDocument: number
  rssBytesPerDocument: number
  pinned: boolean
}

interface Options {
  docs: number
  editors: number
  rate: number
  warmupMs: number
  measureMs: number
  servers: ServerKind[]
  /** Write a V8 CPU profile of each Hubbub server run into this directory (`node --cpu-prof`). */
  profileDir?: string
}

interface Mark extends Message {
  cpu: { user: number; system: number }
  at: number
}
interface Memory extends Message {
  rss: number
  heapUsed: number
}

async function runOnce(server: ServerKind, o: Options): Promise<RunResult> {
  const profile =
    o.profileDir !== undefined && server !== 'hocuspocus'
      ? ['--cpu-prof', `--cpu-prof-dir=${o.profileDir}/${server}-${Date.now()}`]
      : []
  const host = new BenchChild(0, 'server.ts', [server], ['--expose-gc', ...profile])
  let generator: BenchChild | undefined
  try {
    const ready = await host.next<Message & { port: number; listening: Memory }>('ready')
    const path = server === 'hocuspocus' ? '' : '/ws'
    generator = new BenchChild(1, 'generator.ts', [
      server,
      `ws://127.0.0.1:${ready.port}${path}`,
      String(o.docs),
      String(o.editors),
      String(o.rate),
    ])
    await generator.next('connected')
    await generator.request({ type: 'type' }, 'typing')
    await sleep(o.warmupMs)
    const [s0] = await Promise.all([
      host.request<Mark>({ type: 'mark' }, 'mark'),
      generator.request({ type: 'start' }, 'started'),
    ])
    await sleep(o.measureMs)
    const [s1, g] = await Promise.all([
      host.request<Mark>({ type: 'mark' }, 'mark'),
      generator.request<Message & Record<string, number>>({ type: 'end' }, 'report'),
    ])
    // Every editor is still connected: the documents are open.
    const mem = await host.request<Memory>({ type: 'memory' }, 'memory')
    const cpuUs = s1.cpu.user + s1.cpu.system - (s0.cpu.user + s0.cpu.system)
    const ms = s1.at - s0.at
    return {
      server,
      serverCpuPercent: (cpuUs / 1000 / ms) * 100,
      cpuPerUpdateUs: cpuUs / Math.max(1, g.sent!),
      generatorCpuPercent: g.cpuPercent!,
      updatesPerSecond: (g.sent! / g.windowMs!) * 1000,
      p50Ms: g.p50!,
      p99Ms: g.p99!,
      maxMs: g.max!,
      lostDeliveries: g.expected! - g.received!,
      heapBytesPerDocument: (mem.heapUsed - ready.listening.heapUsed) / o.docs,
      rssBytesPerDocument: (mem.rss - ready.listening.rss) / o.docs,
      pinned: host.pinned && generator.pinned,
    }
  } finally {
    await generator?.stop()
    await host.stop()
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length

/** The runs of one server, averaged (p99 is the mean of each run's p99). */
function summarise(runs: RunResult[]): RunResult {
  const pick = (k: keyof RunResult) => mean(runs.map((r) => r[k] as number))
  return {
    server: runs[0]!.server,
    serverCpuPercent: pick('serverCpuPercent'),
    cpuPerUpdateUs: pick('cpuPerUpdateUs'),
    generatorCpuPercent: pick('generatorCpuPercent'),
    updatesPerSecond: pick('updatesPerSecond'),
    p50Ms: pick('p50Ms'),
    p99Ms: pick('p99Ms'),
    maxMs: Math.max(...runs.map((r) => r.maxMs)),
    lostDeliveries: runs.reduce((a, r) => a + r.lostDeliveries, 0),
    heapBytesPerDocument: pick('heapBytesPerDocument'),
    rssBytesPerDocument: pick('rssBytesPerDocument'),
    pinned: runs.every((r) => r.pinned),
  }
}

const f = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : String(n))

function row(r: RunResult): string {
  return [
    r.server.padEnd(11),
    `${f(r.updatesPerSecond, 0)}/s`.padStart(8),
    `${f(r.serverCpuPercent)}%`.padStart(7),
    `${f(r.cpuPerUpdateUs)}µs`.padStart(9),
    `${f(r.p50Ms, 2)}`.padStart(7),
    `${f(r.p99Ms, 2)}`.padStart(8),
    `${f(r.maxMs, 1)}`.padStart(8),
    `${r.lostDeliveries}`.padStart(5),
    `${f(r.heapBytesPerDocument / 1024)}KiB`.padStart(10),
    `${f(r.rssBytesPerDocument / 1024)}KiB`.padStart(10),
    `${f(r.generatorCpuPercent)}%`.padStart(7),
  ].join(' ')
}

const header = [
  'server'.padEnd(11),
  'in'.padStart(8),
  'cpu'.padStart(7),
  'cpu/upd'.padStart(9),
  'p50 ms'.padStart(7),
  'p99 ms'.padStart(8),
  'max ms'.padStart(8),
  'lost'.padStart(5),
  'heap/doc'.padStart(10),
  'rss/doc'.padStart(10),
  'gen cpu'.padStart(7),
].join(' ')

export async function bench(o: Options, print: (line: string) => void = console.log) {
  const kinds = o.servers
  const order = [...kinds, ...[...kinds].reverse()]
  let load = ''
  try {
    load = execFileSync('uptime').toString().trim()
  } catch {}
  print(
    `yjs bench: ${o.docs} documents × ${o.editors} editors × ${o.rate} updates/s = ${o.docs * o.editors * o.rate} updates/s in; ` +
      `warm-up ${o.warmupMs / 1000} s, measured ${o.measureMs / 1000} s; order ${order.join(', ')}`,
  )
  print(`machine: ${load}`)
  print(header)
  const runs: RunResult[] = []
  for (const kind of order) {
    const r = await runOnce(kind, o)
    runs.push(r)
    print(row(r))
  }
  if (!runs.every((r) => r.pinned)) print('note: not pinned (no taskset, or fewer than 2 CPUs)')
  print("mean of each server's runs:")
  print(header)
  const summary = new Map(kinds.map((k) => [k, summarise(runs.filter((r) => r.server === k))]))
  for (const s of summary.values()) print(row(s))
  const hubbub = summary.get('hubbub-ws') ?? summary.get('hubbub-uws')!
  const uws = summary.get('hubbub-uws')
  const hp = summary.get('hocuspocus')
  const result: Record<string, number | string> = {
    hubbubServer: hubbub.server,
    relayP99Ms: hubbub.p99Ms,
    hocuspocusRelayP99Ms: hp?.p99Ms ?? NaN,
    cpuPerUpdateVsHocuspocus: hp ? hubbub.cpuPerUpdateUs / hp.cpuPerUpdateUs : NaN,
    bytesPerDocument: hubbub.heapBytesPerDocument,
    hocuspocusBytesPerDocument: hp?.heapBytesPerDocument ?? NaN,
    cpuPerUpdateUs: hubbub.cpuPerUpdateUs,
    hocuspocusCpuPerUpdateUs: hp?.cpuPerUpdateUs ?? NaN,
    ...(uws && hp && uws !== hubbub
      ? { uwsRelayP99Ms: uws.p99Ms, uwsCpuPerUpdateVsHocuspocus: uws.cpuPerUpdateUs / hp.cpuPerUpdateUs }
      : {}),
  }
  print(JSON.stringify(result))
  return { runs, summary, result }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      docs: { type: 'string', default: '100' },
      editors: { type: 'string', default: '5' },
      rate: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '3' },
      seconds: { type: 'string', default: '10' },
      servers: { type: 'string', default: 'hubbub-ws,hubbub-uws,hocuspocus' },
      profile: { type: 'string' },
    },
  })
  await bench({
    docs: Number(values.docs),
    editors: Number(values.editors),
    rate: Number(values.rate),
    warmupMs: Number(values.warmup) * 1000,
    measureMs: Number(values.seconds) * 1000,
    servers: values.servers.split(',') as ServerKind[],
    ...(values.profile === undefined ? {} : { profileDir: values.profile }),
  })
}
