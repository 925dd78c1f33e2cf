import { ActorSystem } from './ActorSystem.js'
import { Supervisor, type SupervisorRef, type SupervisorSpec } from './Supervisor.js'
import type { ExitReason } from './types.js'

export interface ApplicationSpec<Config, State> {
  /** Builds the root supervisor's spec and any state the stop hooks need. */
  start(
    config: Config,
    system: ActorSystem,
  ): Maybe<{ readonly supervisor: SupervisorSpec; readonly state: State }>
  /** Before the tree stops: stop accepting work (close listeners, drain). */
  prepStop?(state: State): Maybe<void>
  /** After the tree stopped: release what remains. */
  stop?(state: State): Maybe<void>
}

type Maybe<T> = T | PromiseLike<T>

export interface ApplicationOptions {
  /** Defaults to a new ActorSystem owned by the application. */
  readonly system?: ActorSystem
  /** Stop gracefully on these signals (`true` = SIGINT and SIGTERM). Default: no signal handling. */
  readonly signals?: boolean | readonly NodeJS.Signals[]
  /** After a signal-triggered stop, exit the Node process (code 0, or 1 if the stop timed out). Default true. */
  readonly exitOnSignal?: boolean
  /** Milliseconds the root supervisor gets to stop before it is killed. Default 30000. */
  readonly stopTimeout?: number
}

export interface RunningApplication<State> {
  readonly system: ActorSystem
  readonly supervisor: SupervisorRef
  readonly state: State
  /** prepStop → stop the tree (killed after stopTimeout) → stop. Idempotent. */
  stop(): Promise<void>
  /** Settles with the root supervisor's exit reason, whether it was stopped or gave up. */
  readonly exited: Promise<ExitReason>
}

/** An OTP-style application: one root supervisor, start/prepStop/stop hooks, optional signal handling. */
export const Application = {
  async start<Config, State>(
    spec: ApplicationSpec<Config, State>,
    config: Config,
    options: ApplicationOptions = {},
  ): Promise<RunningApplication<State>> {
    const system = options.system ?? new ActorSystem()
    const { supervisor: supSpec, state } = await spec.start(config, system)
    const supervisor = await Supervisor.start(system, supSpec)
    const stopTimeout = options.stopTimeout ?? 30_000
    const signals: readonly NodeJS.Signals[] =
      options.signals === true
        ? ['SIGINT', 'SIGTERM']
        : options.signals === false
          ? []
          : (options.signals ?? [])
    let stopping: Promise<void> | undefined
    let timedOut = false

    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        for (const s of signals) process.off(s, onSignal)
        await spec.prepStop?.(state)
        if (system.isAlive(supervisor)) {
          const timer = setTimeout(() => {
            timedOut = true
            system.exit(supervisor, 'kill')
          }, stopTimeout)
          await system.stop(supervisor, 'shutdown').catch(() => {})
          clearTimeout(timer)
        }
        await spec.stop?.(state)
      })()
      return stopping
    }
    const onSignal = (): void => {
      stop().then(
        () => {
          if (options.exitOnSignal !== false) process.exit(timedOut ? 1 : 0)
        },
        (err) => {
          console.error('[@hubbub/actor] application stop failed:', err)
          if (options.exitOnSignal !== false) process.exit(1)
        },
      )
    }
    for (const s of signals) process.on(s, onSignal)
    const exited = system.whenExited(supervisor)
    // The root giving up (max restarts) also ends the application: run the stop hooks.
    exited.then(() => (stopping === undefined ? stop() : undefined)).catch(() => {})
    return { system, supervisor, state, stop, exited }
  },
}
