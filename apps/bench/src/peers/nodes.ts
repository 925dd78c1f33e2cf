import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as hdr from 'hdr-histogram-js'
import { Redis } from 'ioredis'
import { PinnedChild } from '../server/PinnedChild.js'
import { memoryAfterGc } from './memory.js'
import { cpuSeconds } from './procStat.js'
import type { NodesRow, Step } from './types.js'

/**
 * Hubbub on several nodes of this machine, each its own process on the server core, sharing the
 * real Redis (`redisNode`: room log, bus, presence, registry, under a key prefix of its own per run;
 * its keys are deleted at the end, nothing is flushed). One generator process per node on the
 * generator core holds that node's connections, from source addresses of its own (127.0.0.x), so
 * no process passes ~19,000 sockets (the per-process file limit here is 20,000). Connection k goes
 * to node k % nodes: the first `fanoutMembers` join the fan-out room (members on every node), the
 * rest idle rooms of `idleRoomSize`. It reads the settled RSS per connection over all nodes (as the
 * join scenario reads it) and one room's fan-out latency, merged over every member on every node.
 */
export interface NodesOptions {
  nodes: number
  connections: number
  transport: 'ws' | 'uws'
  redisUrl: string
  fanoutMembers: number
  idleRoomSize: number
  /** Publishes/s of the fan-out room's one publisher. */
  publishesPerSecond: number
  /** Joins in flight per generator (node) while the fan-out room fills. */
  fanoutInFlight: number
  warmMs: number
  durMs: number
  latencyEvery: number
  payload: number
  p99LimitMs: number
  serverCore: number
  genCore: number
  progress(line: string): void
}

/** Sockets one process may hold (the file limit is 20,000; Redis connections and files need some). */
export const MAX_SOCKETS_PER_PROCESS = 18_500

const here = dirname(fileURLToPath(import.meta.url))

/** The knobs, from the environment: NODES, CONNECTIONS, NODES_TRANSPORT, FANOUT_MEMBERS, … */
export function nodesOptionsFromEnv(
  tiny: boolean,
): Omit<
  NodesOptions,
  'warmMs' | 'durMs' | 'latencyEvery' | 'payload' | 'p99LimitMs' | 'serverCore' | 'genCore' | 'progress'
> {
  const env = (name: string, full: number, small: number) =>
    Number(process.env[name] ?? (tiny ? small : full))
  return {
    nodes: env('NODES', 6, 2),
    connections: env('CONNECTIONS', 100_000, 200),
    transport: process.env.NODES_TRANSPORT === 'ws' ? 'ws' : 'uws',
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    fanoutMembers: env('FANOUT_MEMBERS', 1_000, 20),
    idleRoomSize: env('IDLE_ROOM_SIZE', 100, 10),
    publishesPerSecond: env('FANOUT_RATE', 100, 50),
    fanoutInFlight: env('FANOUT_IN_FLIGHT', 4, 4),
  }
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory')
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN)
}

/** Deletes the run's keys (every key of a prefix is hash-tagged `{<prefix>…`); never flushes. */
async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0'
  let deleted = 0
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `{${prefix}*`, 'COUNT', 1000)
    cursor = next
    if (keys.length > 0) deleted += await redis.unlink(...keys)
  } while (cursor !== '0')
  return deleted
}

interface Loaded {
  sentInWindow: number
  inWindow: number
  dups: number
  gaps: number
  stalls: number
  cpuShare: number
  maxMs: number
  samples: number
  histogram: string
}

export async function runNodes(o: NodesOptions): Promise<NodesRow> {
  const t0 = performance.now()
  const perNode = Math.ceil(o.connections / o.nodes)
  if (perNode > MAX_SOCKETS_PER_PROCESS)
    throw new Error(
      `${o.connections} connections over ${o.nodes} nodes is ${perNode} per node (and per generator process): ` +
        `more than ${MAX_SOCKETS_PER_PROCESS} (the file limit is 20,000); raise NODES`,
    )
  if (o.fanoutMembers < o.nodes || o.fanoutMembers > o.connections)
    throw new Error('FANOUT_MEMBERS must be at least NODES (a member on every node) and at most CONNECTIONS')
  const prefix = `bench-nodes-${Date.now().toString(36)}-${process.pid}`
  const redis = new Redis(o.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2 })
  const nodes: Array<{ child: PinnedChild; pid: number; port: number }> = []
  const gens: PinnedChild[] = []
  try {
    const redisBefore = await usedMemory(redis)
    for (let i = 0; i < o.nodes; i++) {
      const child = new PinnedChild(
        o.serverCore,
        join(here, 'peerServer.ts'),
        [`hubbub-${o.transport}`, o.redisUrl, prefix],
        ['--expose-gc'],
      )
      nodes.push({ child, pid: child.child.pid!, port: 0 })
    }
    for (const node of nodes) node.port = (await node.child.next<{ port: number }>('listening')).port
    for (let i = 0; i < o.nodes; i++) gens.push(new PinnedChild(o.genCore, join(here, 'generator.ts')))
    const base = await Promise.all(nodes.map((n) => memoryAfterGc(n)))

    // connection k: node k % nodes; the first fanoutMembers in the fan-out room
    const lists = nodes.map(() => [] as Array<{ user: number; room: string }>)
    for (let k = 0; k < o.connections; k++)
      lists[k % o.nodes]!.push({
        user: k,
        room: k < o.fanoutMembers ? 'fan' : `idle${Math.floor((k - o.fanoutMembers) / o.idleRoomSize)}`,
      })
    const sourcesPer = Math.max(1, Math.ceil(Math.max(...lists.map((l) => l.length)) / 10_000))
    o.progress(
      `nodes: ${o.connections} connections over ${o.nodes} ${o.transport} nodes on Redis (prefix ${prefix}), ` +
        `${sourcesPer} source address(es) per generator`,
    )
    const tc = performance.now()
    // the fan-out room first, a few joins in flight per node (each join there is announced to every
    // member on every node); then the idle rooms, many in flight
    for (const [phase, pick, inFlight] of [
      ['fan-out room', (c: { room: string }) => c.room === 'fan', o.fanoutInFlight],
      ['idle rooms', (c: { room: string }) => c.room !== 'fan', 50],
    ] as const) {
      let done = 0
      await Promise.all(
        gens.map(async (g, i) => {
          await g.request(
            {
              type: 'connect',
              port: nodes[i]!.port,
              wire: 'hubbub',
              conns: lists[i]!.filter(pick),
              inFlight,
              size: o.payload,
              localAddresses: Array.from(
                { length: sourcesPer },
                (_, s) => `127.0.0.${2 + i * sourcesPer + s}`,
              ),
            },
            'connected',
          )
          done++
        }),
      )
      o.progress(
        `nodes: ${phase} joined on all ${done} nodes after ${((performance.now() - tc) / 1000).toFixed(1)} s`,
      )
    }
    const connectMs = performance.now() - tc
    o.progress(`nodes: all ${o.connections} connected and joined in ${(connectMs / 1000).toFixed(1)} s`)
    const mem = await Promise.all(nodes.map((n) => memoryAfterGc(n)))
    const rssAdded = mem.reduce((s, m, i) => s + m.rss - base[i]!.rss, 0)
    const heapAdded = mem.reduce((s, m, i) => s + m.heapUsed - base[i]!.heapUsed, 0)
    const redisAfter = await usedMemory(redis)

    // the fan-out room: connection 0 (generator 0's first) publishes; every generator drains its members
    const membersOf = (i: number) => lists[i]!.filter((c) => c.room === 'fan').length
    const startUs = Math.round((performance.timeOrigin + performance.now()) * 1000) + 300_000
    const winStartMs = startUs / 1000 - performance.timeOrigin - performance.now() + o.warmMs
    const cpu: number[] = []
    const cpuAll = () => nodes.reduce((s, n) => s + cpuSeconds(n.pid), 0)
    const timers = [winStartMs, winStartMs + o.durMs].map((at) => setTimeout(() => cpu.push(cpuAll()), at))
    const results = await Promise.all(
      gens.map((g, i) =>
        g.request<Loaded>(
          {
            type: 'load',
            publishers: i === 0 ? [{ conn: 0, pubId: 0, room: 'fan' }] : [],
            pubsPerRoom: 1,
            rate: o.publishesPerSecond,
            warmMs: o.warmMs,
            durMs: o.durMs,
            startUs,
            latencyEvery: o.latencyEvery,
            membersHere: 0,
            expectHere: { members: membersOf(i), publishers: 1 },
            encodeHistogram: true,
          },
          'loaded',
        ),
      ),
    )
    for (const t of timers) clearTimeout(t)
    if (cpu.length === 1) cpu.push(cpuAll())
    const merged = hdr.build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 120_000_000,
      numberOfSignificantValueDigits: 3,
    })
    for (const r of results) merged.add(hdr.decodeFromCompressedBase64(r.histogram))
    const expected = results[0]!.sentInWindow * o.fanoutMembers
    const delivered = results.reduce((s, r) => s + r.inWindow, 0)
    const dups = results.reduce((s, r) => s + r.dups, 0)
    const lost = Math.max(0, expected - (delivered - dups))
    const serverCpuS = cpu.length === 2 ? cpu[1]! - cpu[0]! : Number.NaN
    const genCpuShare = Math.max(...results.map((r) => r.cpuShare))
    const p99Ms = merged.getValueAtPercentile(99) / 1000
    const step: Step = {
      offered: o.publishesPerSecond * o.fanoutMembers,
      achieved: delivered / (o.durMs / 1000),
      expected,
      delivered,
      lost,
      dups,
      p50Ms: merged.getValueAtPercentile(50) / 1000,
      p99Ms,
      p999Ms: merged.getValueAtPercentile(99.9) / 1000,
      maxMs: merged.maxValue / 1000,
      serverCpuS,
      serverCoreShare: serverCpuS / (o.durMs / 1000),
      cpuSPer1M: delivered > 0 ? serverCpuS / (delivered / 1e6) : Number.NaN,
      genCpuShare,
      genStalls: results.reduce((s, r) => s + r.stalls, 0),
      latencySamples: merged.totalCount,
      clean: expected > 0 && lost === 0 && dups === 0 && p99Ms <= o.p99LimitMs,
      clientBound: genCpuShare >= 0.9 || results.some((r) => r.stalls > 0),
    }
    o.progress(
      `nodes: fan-out ×${o.fanoutMembers} @${o.publishesPerSecond}/s: ${delivered}/${expected} delivered, lost ${lost}, dup ${dups}, ` +
        `p50 ${step.p50Ms.toFixed(1)} ms, p99 ${p99Ms.toFixed(1)} ms; RSS ${(rssAdded / o.connections / 1024).toFixed(2)} KiB/conn`,
    )
    return {
      transport: o.transport,
      nodes: o.nodes,
      connections: o.connections,
      generators: gens.length,
      sourceAddresses: sourcesPer * gens.length,
      maxConnsPerNode: Math.max(...lists.map((l) => l.length)),
      maxConnsPerGenerator: Math.max(...lists.map((l) => l.length)),
      idleRoomSize: o.idleRoomSize,
      connectMs,
      rssPerConnKiB: rssAdded / o.connections / 1024,
      heapPerConnKiB: heapAdded / o.connections / 1024,
      rssPerNodeMiB: mem.map((m) => m.rss / 1024 / 1024),
      fanoutMembers: o.fanoutMembers,
      publishesPerSecond: o.publishesPerSecond,
      step,
      redisUsedMemoryDeltaMiB: Number.isFinite(redisAfter - redisBefore)
        ? (redisAfter - redisBefore) / 1024 / 1024
        : null,
      prefix,
      wallMs: performance.now() - t0,
    }
  } finally {
    await Promise.all(gens.map((g) => g.stop()))
    await Promise.all(nodes.map((n) => n.child.stop(10_000)))
    const deleted = await deleteKeys(redis, prefix).catch(() => 0)
    o.progress(`nodes: deleted ${deleted} keys of prefix ${prefix}`)
    redis.disconnect()
  }
}
