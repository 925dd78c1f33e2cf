import { fork } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeHeapSnapshot } from 'node:v8'
import type { TransportFactory } from '@hubbub/transport'
import { uwsTransport } from '@hubbub/transport-uws'
import { wsTransport } from '@hubbub/transport-ws'
import { createServer } from '../src/index.js'

/**
 * Heap per idle connection of the full server, and where it goes: N clients (another
 * process) each join one of 100 rooms; after a forced GC, heap per connection minus the
 * empty server. With --snapshot, the heap is attributed per connection by object kind
 * (to see what to shrink). Run with --expose-gc. RSS is not read here: it needs the
 * process to settle first, which `pnpm --filter @hubbub/bench bench:memory` does.
 *   node --expose-gc --import tsx --conditions=@hubbub/source bench/heapPerConnection.ts [--n=10000] [--snapshot] [--transport=uws|ws] [--warmup=200]
 */
const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]))
const n = Number(args.get('n') ?? 10_000)
const snapshot = args.has('snapshot')
const warmup = Number(args.get('warmup') ?? 0)
const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with node --expose-gc')
const collect = () => {
  for (let i = 0; i < 4; i++) gc()
}

function attribute(file: string): Map<string, number> {
  const snap = JSON.parse(readFileSync(file, 'utf8'))
  rmSync(file)
  const fields: string[] = snap.snapshot.meta.node_fields
  const types: string[] = snap.snapshot.meta.node_types[0]
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [
    number,
    number,
    number,
  ]
  const out = new Map<string, number>()
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + iType]]!
    const key = type === 'object' ? snap.strings[snap.nodes[i + iName]] : `(${type})`
    out.set(key, (out.get(key) ?? 0) + snap.nodes[i + iSize])
  }
  return out
}

const results: Record<string, { heapKiB: number }> = {}
const only = args.get('transport')
for (const [name, factory] of [
  ['uws', uwsTransport],
  ['ws', wsTransport],
] as const) {
  if (only !== undefined && only !== name) continue
  const server = createServer({
    transport: factory as TransportFactory<any>,
    auth: { anonymous: true },
    heartbeatMs: 0,
    roomGraceMs: 600_000,
  })
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' })
  if (warmup > 0) {
    // Serve a few clients and let them go first, so the code paths' one-time costs (JIT code,
    // first-touched pages) belong to the empty server rather than to the connections measured.
    const w = fork(new URL('./idleClients.ts', import.meta.url), [String(port), String(warmup), '100'], {
      execArgv: ['--import', 'tsx'],
    })
    await new Promise((resolve) => w.once('message', resolve))
    w.send('exit')
    await new Promise((resolve) => w.once('exit', resolve))
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  collect()
  const before = process.memoryUsage()
  const heapBefore = snapshot
    ? attribute(writeHeapSnapshot(join(tmpdir(), `hubbub-a-${process.pid}.heapsnapshot`)))
    : undefined
  const child = fork(new URL('./idleClients.ts', import.meta.url), [String(port), String(n), '100'], {
    execArgv: ['--import', 'tsx'],
  })
  const opened = await new Promise<{ joined: number; failed: number }>((resolve) =>
    child.once('message', resolve as never),
  )
  if (opened.failed > 0) console.log(`${name}: ${opened.failed} of ${n} clients failed to connect`)
  await new Promise((resolve) => setTimeout(resolve, 500))
  collect()
  const after = process.memoryUsage()
  const per = (a: number, b: number) => Math.round(((a - b) / opened.joined / 1024) * 100) / 100
  // Committed-but-free heap, and memory outside the heap.
  console.log(
    `${name}: per connection: heapTotal ${per(after.heapTotal, before.heapTotal)} KiB, external ${per(after.external, before.external)} KiB, arrayBuffers ${per(after.arrayBuffers, before.arrayBuffers)} KiB`,
  )
  results[name] = {
    heapKiB: Math.round(((after.heapUsed - before.heapUsed) / opened.joined / 1024) * 100) / 100,
  }
  if (heapBefore) {
    const heapAfter = attribute(writeHeapSnapshot(join(tmpdir(), `hubbub-b-${process.pid}.heapsnapshot`)))
    const rows = [...heapAfter].map(([k, v]) => [k, (v - (heapBefore.get(k) ?? 0)) / n] as const)
    console.log(`\n${name}: heap bytes per connection by object kind (top 15)`)
    for (const [k, b] of rows.sort((x, y) => y[1] - x[1]).slice(0, 15))
      console.log(`${b.toFixed(0).padStart(8)}  ${k}`)
  }
  child.send('exit')
  await new Promise((resolve) => child.once('exit', resolve))
  await server.close({ graceMs: 1000 })
}

console.log(`\n| transport | connections | heap / connection |`)
console.log(`|---|---|---|`)
for (const [name, r] of Object.entries(results)) console.log(`| ${name} | ${n} | ${r.heapKiB} KiB |`)
console.log(JSON.stringify({ connections: n, rooms: 100, ...results }))
process.exit(0)
