import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Redis } from 'ioredis'
import type { RedisClusterTarget } from '../src/index.js'
import { freePort } from './nodes.js'

const run = promisify(execFile)

/** Why the Cluster tests cannot run (no `redis-server`/`redis-cli`), or undefined. */
export const clusterSkipReason: string | undefined = (() => {
  for (const bin of ['redis-server', 'redis-cli']) {
    const probe = spawnSync(bin, ['--version'], { stdio: 'ignore' })
    if (probe.error !== undefined || probe.status !== 0) return `${bin} is not installed`
  }
  return undefined
})()
if (clusterSkipReason !== undefined) {
  if (process.env.REQUIRE_REDIS === '1') throw new Error(`REQUIRE_REDIS=1 but ${clusterSkipReason}`)
  console.warn(`skipping Redis Cluster tests: ${clusterSkipReason} (REQUIRE_REDIS=1 fails instead)`)
}

/** One master of a test cluster. */
export interface ClusterMaster {
  port: number
  id: string
  /** A plain connection to this master (closed by `stop`). */
  redis: Redis
}

/** A 3-master Redis Cluster of the test's own, without persistence, in temporary directories. */
export interface TestCluster {
  masters: ClusterMaster[]
  /** The target every part of this package takes. */
  target: RedisClusterTarget
  /** The master serving `slot` now. */
  ownerOf(slot: number): Promise<ClusterMaster>
  /** Moves `slot` to `to` (CLUSTER SETSLOT IMPORTING/MIGRATING, MIGRATE its keys, SETSLOT NODE everywhere). */
  moveSlot(slot: number, to: ClusterMaster): Promise<void>
  stop(): Promise<void>
}

const waitUntil = async (check: () => Promise<boolean>, what: string, ms = 30_000) => {
  const deadline = Date.now() + ms
  for (;;) {
    try {
      if (await check()) return
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`Redis Cluster: ${what} within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Starts three `redis-server --cluster-enabled yes` on free ports and joins them with `redis-cli --cluster create`. */
export async function startCluster(): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'hubbub-cluster-'))
  const children: ChildProcess[] = []
  const masters: ClusterMaster[] = []
  const stop = async () => {
    for (const m of masters) m.redis.disconnect()
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGKILL')
        await exited
      }),
    )
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freePort()
      const busPort = await freePort()
      const child = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-port',
          String(busPort),
          '--cluster-config-file',
          join(dir, `nodes-${i}.conf`),
          '--dir',
          dir,
          '--save',
          '',
          '--appendonly',
          'no',
        ],
        { stdio: 'ignore' },
      )
      children.push(child)
      const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 })
      redis.on('error', () => {})
      masters.push({ port, id: '', redis })
    }
    for (const m of masters) {
      await waitUntil(async () => {
        if (m.redis.status === 'wait' || m.redis.status === 'end') await m.redis.connect()
        return (await m.redis.ping()) === 'PONG'
      }, `port ${m.port} answers`)
      m.id = (await m.redis.call('CLUSTER', 'MYID')) as string
    }
    const hosts = masters.map((m) => `127.0.0.1:${m.port}`)
    await run('redis-cli', ['--cluster', 'create', ...hosts, '--cluster-replicas', '0', '--cluster-yes'])
    for (const m of masters) {
      await waitUntil(
        async () => String(await m.redis.call('CLUSTER', 'INFO')).includes('cluster_state:ok'),
        `port ${m.port} reports cluster_state:ok`,
      )
    }
  } catch (err) {
    await stop()
    throw err
  }
  const ownerOf = async (slot: number) => {
    const slots = (await masters[0]!.redis.call('CLUSTER', 'SLOTS')) as [
      number,
      number,
      [string, number, string],
    ][]
    const range = slots.find(([from, to]) => slot >= from && slot <= to)
    const master = masters.find((m) => m.port === range?.[2][1])
    if (master === undefined) throw new Error(`no master serves slot ${slot}`)
    return master
  }
  const moveSlot = async (slot: number, to: ClusterMaster) => {
    const from = await ownerOf(slot)
    await to.redis.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', from.id)
    await from.redis.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', to.id)
    for (;;) {
      const keys = (await from.redis.call('CLUSTER', 'GETKEYSINSLOT', slot, 100)) as string[]
      if (keys.length === 0) break
      await from.redis.call('MIGRATE', '127.0.0.1', to.port, '', 0, 5000, 'KEYS', ...keys)
    }
    for (const m of [to, from, ...masters.filter((x) => x !== to && x !== from)]) {
      await m.redis.call('CLUSTER', 'SETSLOT', slot, 'NODE', to.id)
    }
  }
  return {
    masters,
    target: { cluster: masters.map((m) => ({ host: '127.0.0.1', port: m.port })) },
    ownerOf,
    moveSlot,
    stop,
  }
}
