import { type ChildProcess, fork } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export interface FanoutRun {
  /** A name from `benchServers`. */
  server: string
  subscribers: number
  /** Offered deliveries per second (publishes/s × subscribers). */
  deliveriesPerSecond: number
  warmupMs?: number
  durationMs?: number
  /** CPU cores for the server and the load generator (`taskset -c`); omitted when taskset is missing. */
  serverCore?: number
  loadCore?: number
}

export interface FanoutResult {
  server: string
  offeredPerSecond: number
  achievedPerSecond: number
  /** Server CPU seconds (user + system) per 1,000,000 deliveries. */
  cpuSecondsPerMillion: number
  /** The kernel's part of that CPU (socket writes on loopback), as a share. */
  systemShare: number
  /** Server CPU use during the window, as a share of one core. */
  cpuShare: number
  deliveries: number
  received: number
}

export type FanoutOutcome = FanoutResult | { server: string; skipped: string }

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url))
const taskset = ['/usr/bin/taskset', '/bin/taskset'].find((p) => existsSync(p))

/** Starts a TypeScript module as a child process (tsx, `@hubbub/source` condition), pinned to one core when possible. */
function start(module: string, args: string[], core: number | undefined): ChildProcess {
  const node = [process.execPath, '--conditions=@hubbub/source', '--import', 'tsx']
  // BENCH_CPU_PROF=<dir>: write a V8 CPU profile of each server process there
  if (process.env.BENCH_CPU_PROF && module.includes('server'))
    node.push('--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`)
  return taskset && core !== undefined
    ? fork(here(module), args, { execPath: taskset, execArgv: ['-c', String(core), ...node] })
    : fork(here(module), args, { execArgv: node.slice(1) })
}

function next<T>(child: ChildProcess, type: string, timeoutMs = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${type}`)), timeoutMs)
    const onMessage = (msg: { type: string }): void => {
      if (msg.type !== type && msg.type !== 'skipped') return
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('exit', onExit)
      resolve(msg as T)
    }
    const onExit = (code: number | null): void => {
      clearTimeout(timer)
      reject(new Error(`child exited (${code}) while waiting for ${type}`))
    }
    child.on('message', onMessage)
    child.once('exit', onExit)
  })
}

async function ask<T>(child: ChildProcess, type: string): Promise<T> {
  const reply = next<T>(child, type)
  child.send({ type })
  return reply
}

/**
 * One fan-out measurement: a server process publishing to one topic at a fixed
 * offered rate, a load-generator process holding the subscribers and counting
 * deliveries, on different cores. Reusable for any `benchServers` variant.
 */
export async function runFanout(run: FanoutRun): Promise<FanoutOutcome> {
  const { warmupMs = 1500, durationMs = 5000, serverCore = 0, loadCore = 1 } = run
  const server = start('./serverProcess.ts', [run.server], serverCore)
  let load: ChildProcess | undefined
  try {
    const listening = await next<{ type: string; port?: number; reason?: string }>(server, 'listening')
    if (listening.type === 'skipped')
      return { server: run.server, skipped: listening.reason ?? 'unavailable' }
    load = start('./loadGenerator.ts', [String(listening.port), String(run.subscribers)], loadCore)
    await next(load, 'ready')
    for (let i = 0; (await ask<{ count: number }>(server, 'subscribers')).count < run.subscribers; i++) {
      if (i > 500) throw new Error('subscribers never all arrived')
      await new Promise((r) => setTimeout(r, 10))
    }
    const windowStart = next(server, 'window-start')
    const windowEnd = next<{ deliveries: number; cpuMs: number; systemCpuMs: number; elapsedMs: number }>(
      server,
      'window-end',
    )
    server.send({ type: 'run', deliveriesPerSecond: run.deliveriesPerSecond, warmupMs, durationMs })
    await windowStart
    const before = await ask<{ delivered: number }>(load, 'count')
    const end = await windowEnd
    const atEnd = await ask<{ delivered: number }>(load, 'count')
    const received = atEnd.delivered - before.delivered
    return {
      server: run.server,
      offeredPerSecond: run.deliveriesPerSecond,
      achievedPerSecond: received / (end.elapsedMs / 1000),
      cpuSecondsPerMillion: end.deliveries > 0 ? end.cpuMs / 1000 / (end.deliveries / 1e6) : Number.NaN,
      cpuShare: end.cpuMs / end.elapsedMs,
      systemShare: end.cpuMs > 0 ? end.systemCpuMs / end.cpuMs : 0,
      deliveries: end.deliveries,
      received,
    }
  } finally {
    load?.send({ type: 'exit' })
    server.send({ type: 'exit' })
    await Promise.all(
      [server, load].map(
        (c) =>
          c &&
          new Promise<void>((resolve) => {
            if (c.exitCode !== null) return resolve()
            const kill = setTimeout(() => c.kill('SIGKILL'), 5000)
            c.once('exit', () => {
              clearTimeout(kill)
              resolve()
            })
          }),
      ),
    )
  }
}
