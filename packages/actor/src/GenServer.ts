import { ActorSystem } from './ActorSystem.js'
import type {
  AnyRef,
  CallOptions,
  CallResult,
  ExitReason,
  From,
  GenServerRef,
  Maybe,
  MonitorRef,
  StartOptions,
  SystemMessage,
  TimerRef,
} from './types.js'

/**
 * A GenServer behaviour: plain callbacks over an immutable-by-convention `state`.
 * Any callback may be async; a throw or rejection crashes the process with reason `{error}`.
 */
export interface GenServer<
  Args = void,
  State = unknown,
  Call = never,
  Cast = never,
  Reply = unknown,
  Info = never,
> {
  init(args: Args, self: GenServerRef<Call, Cast, Reply, Info>): Maybe<State>
  handleCall?(
    msg: Call,
    from: From<Reply>,
    state: State,
    self: GenServerRef<Call, Cast, Reply, Info>,
  ): Maybe<CallResult<Reply, State>>
  handleCast?(msg: Cast, state: State, self: GenServerRef<Call, Cast, Reply, Info>): Maybe<State>
  handleInfo?(
    msg: Info | SystemMessage,
    state: State,
    self: GenServerRef<Call, Cast, Reply, Info>,
  ): Maybe<State>
  terminate?(reason: ExitReason, state: State): Maybe<void>
}

let fallback: ActorSystem | undefined

/** The lazily created default system, for scripts that only ever need one. Libraries should take a system. */
export function defaultSystem(): ActorSystem {
  fallback ??= new ActorSystem()
  return fallback
}

/**
 * Elixir-style entry points. Every function acts on the ref's own system, so code inside a
 * handler can `GenServer.cast(other, msg)` without holding the system.
 */
export const GenServer = {
  start<A, S, C, K, R, I>(
    behaviour: GenServer<A, S, C, K, R, I>,
    args: A,
    options: StartOptions & { readonly system?: ActorSystem } = {},
  ): Promise<GenServerRef<C, K, R, I>> {
    return (options.system ?? defaultSystem()).start(behaviour, args, options)
  },
  call<C, R>(ref: GenServerRef<C, any, R, any>, msg: C, options?: CallOptions): Promise<R> {
    return ref.system.call(ref, msg, options)
  },
  cast<K>(ref: GenServerRef<any, K, any, any>, msg: K): boolean {
    return ref.system.cast(ref, msg)
  },
  send<I>(ref: GenServerRef<any, any, any, I>, msg: I): boolean {
    return ref.system.send(ref, msg)
  },
  reply<R>(from: From<R>, value: R): void {
    ;(from as unknown as { proc: { system: ActorSystem } }).proc.system.reply(from, value)
  },
  stop(ref: AnyRef, reason?: ExitReason, options?: { timeout?: number }): Promise<void> {
    return ref.system.stop(ref, reason, options)
  },
  exit(ref: AnyRef, reason: ExitReason | 'kill'): void {
    ref.system.exit(ref, reason)
  },
  monitor(watcher: AnyRef, target: AnyRef): MonitorRef {
    return watcher.system.monitor(watcher, target)
  },
  demonitor(watcher: AnyRef, monitor: MonitorRef): boolean {
    return watcher.system.demonitor(monitor)
  },
  link(a: AnyRef, b: AnyRef): void {
    a.system.link(a, b)
  },
  unlink(a: AnyRef, b: AnyRef): void {
    a.system.unlink(a, b)
  },
  trapExit(ref: AnyRef, on = true): void {
    ref.system.trapExit(ref, on)
  },
  sendAfter<I>(ref: GenServerRef<any, any, any, I>, msg: I, ms: number): TimerRef {
    return ref.system.sendAfter(ref, msg, ms)
  },
  cancelTimer(ref: AnyRef, timer: TimerRef): boolean {
    return ref.system.cancelTimer(timer)
  },
  isAlive(ref: AnyRef): boolean {
    return ref.system.isAlive(ref)
  },
}
