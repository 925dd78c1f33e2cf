import { type GenServer, Supervisor } from '@hubbub/actor'
import { createServer } from '@hubbub/server'
import { INSPECTOR_BENCH_SECRET } from './secret.js'

/**
 * The actor bench's message workload (`packages/actor/bench`: casts in windows of 64 then a
 * yield, and sequential call round trips) run on a Hubbub server's own actor system, in its own
 * pinned process. argv: <disabled|closed>: a server without the `inspector` option, or with it
 * and nobody watching. Only the inspector differs, so the gap is what an unwatched inspector costs
 * the message path (the claim: nothing; no lifecycle listener is held until a page joins).
 * IPC out: {type:'result', castPerSec, callUs, watched, processes}; in: exit.
 * Figures are per CPU second of this process (casts per CPU second, CPU µs per call), the best of
 * ACTOR_REPS runs, so time spent preempted by other work on the core does not count.
 * Env: ACTOR_CASTS (1000000), ACTOR_CALLS (200000), ACTOR_REPS (7).
 */
const variant = process.argv[2] === 'closed' ? 'closed' : 'disabled'
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback)
const CASTS = env('ACTOR_CASTS', 1_000_000)
const CALLS = env('ACTOR_CALLS', 200_000)
const REPS = env('ACTOR_REPS', 7)
const WINDOW = 64

const Counter: GenServer<number, number, 'get', 'inc', number> = {
  init: (n) => n,
  handleCast: (_m, s) => s + 1,
  handleCall: (_m, _f, s) => ({ reply: s, state: s }),
}

const server = createServer({
  auth: { anonymous: true },
  heartbeatMs: 0,
  ...(variant === 'closed' ? { inspector: { secret: INSPECTOR_BENCH_SECRET } } : {}),
})
await server.ready
const system = server.system
// Under a supervisor, as a room or a connection actor would be.
const sup = await Supervisor.start(system, {
  name: 'bench',
  strategy: 'one_for_one',
  children: [{ id: 'counter', behaviour: Counter, args: 0 }],
})
const ref = (await Supervisor.whichChildren(sup))[0]!.ref!

/** CPU seconds (user + system) `fn` takes, the least of REPS runs: on a shared core, time spent preempted is not counted. */
async function bestCpuSec(fn: () => Promise<void>): Promise<number> {
  let b = Number.POSITIVE_INFINITY
  for (let i = 0; i < REPS; i++) {
    const c = process.cpuUsage()
    await fn()
    const d = process.cpuUsage(c)
    b = Math.min(b, (d.user + d.system) / 1e6)
  }
  return b
}

const castSec = await bestCpuSec(async () => {
  for (let i = 0; i < CASTS; i += WINDOW) {
    for (let k = 0; k < WINDOW; k++) system.cast(ref, 'inc')
    await null
  }
  await system.call(ref, 'get')
})
const callUs =
  ((await bestCpuSec(async () => {
    for (let i = 0; i < CALLS; i++) await system.call(ref, 'get')
  })) *
    1e6) /
  CALLS

const result = {
  type: 'result',
  variant,
  watched: system.watched,
  castPerSec: Math.round(CASTS / castSec),
  callUs: Number(callUs.toFixed(4)),
  processes: system.processCount,
}
await server.close({ graceMs: 0 })
process.on('message', (msg: { type: string }) => {
  if (msg.type === 'exit') process.exit(0)
})
process.send?.(result)
