import { fileURLToPath } from 'node:url'
import type { TransportName } from '../server/benchTransport.js'
import { PinnedChild } from '../server/PinnedChild.js'
import type { OwnRedis } from './ownRedis.js'

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url))

export type ServerKind = 'hubbub' | 'sio'

/** One row of the Redis bench: a server kind on `nodes` nodes, with or without Redis between them. */
export interface RowSpec {
  kind: ServerKind
  transport: TransportName
  nodes: number
  redis: boolean
  /** Hubbub on Redis with one publish script call per message (`maxPublishBatch: 1`), for comparison. */
  perPublish?: boolean
}

export interface TrialResult {
  /** Server CPU (all nodes summed, user + system) per 1M deliveries, ms. */
  cpuMsPer1M: number
  /** The Redis process's CPU over the same window per 1M deliveries, ms (0 without Redis). */
  redisCpuMsPer1M: number
  userShare: number
  deliveries: number
  expected: number
  deliveriesPerSec: number
  frameLength: number
  burstP50Ms: number
  burstP99Ms: number
  /** Redis memory of the run's keys (presence, registry, the room) once the room is full, per member; 0 without Redis. */
  redisBytesPerMember: number
}

export interface TrialOptions {
  members: number
  warmup: number
  publishes: number
  /** The measured window ends after `publishes` or after this long (ms), whichever comes first. */
  maxMs: number
  burst: number
  text: string
  redis: OwnRedis
  /** Key prefix for this trial (every node of the trial on the same one). */
  prefix: string
  serverCore: number
  loadCore: number
}

const modeOf = (row: RowSpec): string =>
  row.kind === 'sio'
    ? row.redis
      ? 'sio-redis'
      : 'sio'
    : row.redis
      ? row.perPublish
        ? 'redis-per-publish'
        : 'redis'
      : 'full'

/**
 * Starts the row's nodes (each its own process on `serverCore`) and the load generator (on
 * `loadCore`), fills the room with `members` sockets dealt over the nodes, warms up, then measures
 * the nodes' and Redis's CPU over `publishes` closed-loop publishes (publishers on every node).
 */
export async function runTrial(row: RowSpec, o: TrialOptions): Promise<TrialResult> {
  const args = [row.transport, modeOf(row), o.redis.url, o.prefix]
  const servers = Array.from(
    { length: row.nodes },
    () => new PinnedChild(o.serverCore, here('../server/fanoutServer.ts'), args),
  )
  const clients = new PinnedChild(o.loadCore, here('../server/fanoutClients.ts'))
  try {
    const ports = await Promise.all(
      servers.map(async (s) => (await s.next<{ port: number }>('listening')).port),
    )
    const mode = row.kind === 'sio' ? 'sio' : 'full'
    await clients.request(
      { type: 'setup', port: ports[0], ports, members: o.members, mode, roomId: 'bench' },
      'ready',
    )
    const memoryPerMember = row.redis ? (await o.redis.keyBytes(o.prefix)) / o.members : 0
    const run = { type: 'run', burst: o.burst, text: o.text }
    await clients.request({ ...run, publishes: o.warmup, maxMs: Math.min(3000, o.maxMs) }, 'done')
    await Promise.all(servers.map((s) => s.request({ type: 'cpu-start' }, 'cpu-started')))
    const redis0 = await o.redis.cpuSeconds()
    const done = await clients.request<{
      deliveries: number
      expected: number
      elapsedMs: number
      frameLength: number
      burstP50Ms: number
      burstP99Ms: number
    }>({ ...run, publishes: o.publishes, maxMs: o.maxMs }, 'done')
    const cpus = await Promise.all(
      servers.map((s) => s.request<{ us: number; userUs: number }>({ type: 'cpu-stop' }, 'cpu')),
    )
    const redisSeconds = row.redis ? (await o.redis.cpuSeconds()) - redis0 : 0
    const us = cpus.reduce((sum, c) => sum + c.us, 0)
    const userUs = cpus.reduce((sum, c) => sum + c.userUs, 0)
    const millions = done.deliveries / 1e6
    return {
      cpuMsPer1M: us / 1000 / millions,
      redisCpuMsPer1M: (redisSeconds * 1000) / millions,
      userShare: userUs / us,
      deliveries: done.deliveries,
      expected: done.expected,
      deliveriesPerSec: done.deliveries / (done.elapsedMs / 1000),
      frameLength: done.frameLength,
      burstP50Ms: done.burstP50Ms,
      burstP99Ms: done.burstP99Ms,
      redisBytesPerMember: memoryPerMember,
    }
  } finally {
    await Promise.all([clients.stop(), ...servers.map((s) => s.stop())])
  }
}
