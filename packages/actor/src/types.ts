import type { ActorSystem } from './ActorSystem.js'
import type { GenServer } from './GenServer.js'

/**
 * Why a process ended. `'normal'` is silent on links; `'shutdown'`/`{shutdown}` are orderly stops
 * (not restarted for `transient` children); `{error}` is a crash; `'killed'` an untrappable kill.
 */
export type ExitReason =
  | 'normal'
  | 'shutdown'
  | 'killed'
  | 'noproc'
  | { readonly shutdown: unknown }
  | { readonly error: unknown }

declare const refTypes: unique symbol

/** A typed handle on a process. Only ever obtained from `start`; compare with `===`. */
export interface GenServerRef<Call = any, Cast = any, Reply = any, Info = any> {
  readonly id: number
  readonly system: ActorSystem
  /** Type-only: carries the message types, never present at runtime. */
  readonly [refTypes]?: { call: Call; cast: Cast; reply: Reply; info: Info }
}

/** Any ref, whatever its message types. */
export type AnyRef = GenServerRef<any, any, any, any>

declare const fromReply: unique symbol
/** The caller of a `handleCall`; keep it to answer later with `reply(from, value)`. */
export interface From<Reply = any> {
  readonly [fromReply]?: Reply
}

/** What `handleCall` returns: answer now, answer later with `reply(from, v)`, or stop (optionally answering). */
export type CallResult<Reply, State> =
  | { readonly reply: Reply; readonly state: State }
  | { readonly noreply: true; readonly state: State }
  | { readonly stop: ExitReason; readonly reply?: Reply; readonly state: State }

/** Delivered to `handleInfo` when a monitored process exits (reason `'noproc'` if it was already dead). */
export interface DownMessage {
  readonly type: 'DOWN'
  readonly monitor: MonitorRef
  readonly ref: AnyRef
  readonly reason: ExitReason
}

/** Delivered to `handleInfo` of a process that traps exits when a linked process exits (or `exit(ref, reason)` is signalled). */
export interface ExitMessage {
  readonly type: 'EXIT'
  readonly from: AnyRef | undefined
  readonly reason: ExitReason
}

/** Messages the system itself sends to `handleInfo`. */
export type SystemMessage = DownMessage | ExitMessage

/** Opaque handle from `monitor`. */
export interface MonitorRef {
  readonly id: number
}

/** Opaque handle from `sendAfter`. */
export interface TimerRef {
  readonly id: number
}

export type Maybe<T> = T | PromiseLike<T>

/** Behaviour of any shape (for containers such as child specs). */
export type AnyGenServer = GenServer<any, any, any, any, any, any>

export type RefOf<B> =
  B extends GenServer<any, any, infer C, infer K, infer R, infer I> ? GenServerRef<C, K, R, I> : never
export type ArgsOf<B> = B extends GenServer<infer A, any, any, any, any, any> ? A : never

/** `reject` throws `MailboxFullError` at the sender; the drop policies count in `dropped` instead. */
export type OverflowPolicy = 'reject' | 'drop-newest' | 'drop-oldest'

export interface MailboxOptions {
  readonly capacity: number
  readonly overflow?: OverflowPolicy
}

export interface StartOptions {
  /** Registers the process under this key in `system.registry` (unique) until it exits. */
  readonly name?: string
  /** Kill the process and reject `start` if an async `init` takes longer (ms). */
  readonly initTimeout?: number
  /** Bounded mailbox; unbounded when omitted. */
  readonly mailbox?: MailboxOptions
  /** Start already trapping exits (supervisors do). */
  readonly trapExit?: boolean
  /** Link to this process before `init` runs (what supervisors use). */
  readonly link?: AnyRef
}

export interface CallOptions {
  /** Milliseconds, or `Infinity`; default 5000. */
  readonly timeout?: number
}

/** Every crash, failed init, failed terminate and max-restart escalation is reported here. */
export interface CrashReport {
  readonly ref: AnyRef
  readonly name: string | undefined
  readonly phase: 'init' | 'handleCall' | 'handleCast' | 'handleInfo' | 'terminate' | 'supervisor'
  readonly error: unknown
}

export interface ProcessInfo {
  readonly id: number
  readonly name: string | undefined
  readonly mailboxLength: number
  readonly dropped: number
  readonly trapExit: boolean
  readonly links: number
  readonly monitors: number
  readonly timers: number
}
