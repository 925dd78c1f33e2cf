import { fileURLToPath } from 'node:url'
import type { TransportName } from '../server/benchTransport.js'
import { PinnedChild } from '../server/PinnedChild.js'

/**
 * Connect + join: CONNECTIONS clients (10,000) join ROOMS rooms (100), at most IN_FLIGHT (100) at
 * a time, from one load-generator process on CPU 0, against a server on CPU 1:
 *  - `raw`: the Hubbub transport adapter answering a join with one frame (the floor);
 *  - `full`: the Hubbub server (welcome, join, presence, `joined`, the room's `presence_diff`).
 * Rows run in paired order (A B B A per round) so drift cancels; each figure is the median of
 * ROUNDS (3). Prints a table, then one JSON line with `wsJoinVsRawWs` and `uwsJoinVsRawUws`.
 * Env: CONNECTIONS, ROOMS, IN_FLIGHT, ROUNDS, TRANSPORTS (ws,uws),
 *      PROFILE_DIR=<dir> (a V8 CPU profile of every full server; BENCH_CPU_PROF is the older name),
 *      BENCH_CLIENT_PROF=<dir> (a V8 CPU profile of every load-generator run).
 */
const connections = Number(process.env.CONNECTIONS ?? 10_000)
const rooms = Number(process.env.ROOMS ?? 100)
const inFlight = Number(process.env.IN_FLIGHT ?? 100)
const rounds = Number(process.env.ROUNDS ?? 3)
const transports = (process.env.TRANSPORTS ?? 'ws,uws').split(',') as TransportName[]
type Mode = 'raw' | 'full'
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url))

interface Sample {
  ms: number
  serverCpuMs: number
  /** The load generator's CPU over the run: near the wall time, the run was client-bound. */
  clientCpuMs: number
}

async function once(transport: TransportName, mode: Mode): Promise<Sample> {
  const prof = process.env.PROFILE_DIR ?? process.env.BENCH_CPU_PROF
  const flags = prof && mode === 'full' ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []
  const server = new PinnedChild(1, here('./joinServer.ts'), [transport, mode], flags)
  let clients: PinnedChild | undefined
  try {
    const { port } = await server.next<{ port: number }>('listening')
    clients = new PinnedChild(
      0,
      here('./joinClients.ts'),
      [],
      process.env.BENCH_CLIENT_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CLIENT_PROF}`] : [],
    )
    await server.request({ type: 'mark' }, 'marked')
    const { ms, open, clientCpuMs } = await clients.request<{
      ms: number
      open: number
      clientCpuMs: number
    }>({ type: 'run', port, connections, rooms, inFlight, mode }, 'done')
    const { ms: serverCpuMs } = await server.request<{ ms: number }>({ type: 'cpu' }, 'cpu')
    if (open !== connections) throw new Error(`only ${open}/${connections} connections stayed open`)
    return { ms, serverCpuMs, clientCpuMs }
  } finally {
    await Promise.all([clients?.stop(), server.stop()])
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const results: Record<string, Sample[]> = {}
for (const transport of transports) {
  for (let round = 0; round < rounds; round++) {
    const order: Mode[] = round % 2 === 0 ? ['raw', 'full', 'full', 'raw'] : ['full', 'raw', 'raw', 'full']
    // A B B A (then B A A B): each mode runs twice per round, on both sides of it, so slow
    // drift of the machine hits both modes alike; the median is over every run.
    for (const mode of order) {
      const sample = await once(transport, mode)
      const key = `${transport} ${mode}`
      results[key] = [...(results[key] ?? []), sample]
      console.error(
        `  ${transport} ${mode} round ${round + 1}: ${(sample.ms / 1000).toFixed(2)} s, server CPU ${(sample.serverCpuMs / 1000).toFixed(2)} s, client CPU ${(sample.clientCpuMs / 1000).toFixed(2)} s`,
      )
    }
  }
}

const rows = Object.entries(results).map(([key, samples]) => ({
  key,
  s: median(samples.map((x) => x.ms)) / 1000,
  cpuS: median(samples.map((x) => x.serverCpuMs)) / 1000,
  clientCpuS: median(samples.map((x) => x.clientCpuMs)) / 1000,
}))
console.log(`connect + join of ${connections} clients into ${rooms} rooms, ${inFlight} in flight`)
console.log('server               wall s   server CPU s   client CPU s   joins/s')
for (const r of rows)
  console.log(
    `${r.key.padEnd(20)} ${r.s.toFixed(2).padStart(6)}   ${r.cpuS.toFixed(2).padStart(12)}   ${r.clientCpuS
      .toFixed(2)
      .padStart(12)}   ${Math.round(connections / r.s)
      .toString()
      .padStart(7)}`,
  )
const ratio = (t: TransportName) => {
  const full = rows.find((r) => r.key === `${t} full`)
  const raw = rows.find((r) => r.key === `${t} raw`)
  return full && raw ? Number((full.s / raw.s).toFixed(2)) : null
}
console.log(
  JSON.stringify({
    bench: 'join',
    connections,
    rooms,
    inFlight,
    rounds,
    wsJoinVsRawWs: ratio('ws'),
    uwsJoinVsRawUws: ratio('uws'),
    results: rows,
  }),
)
