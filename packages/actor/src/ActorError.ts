/** Every failure this package reports has one of these codes; match on `code`, not on message text. */
export type ActorErrorCode =
  | 'call_timeout'
  | 'noproc'
  | 'exit'
  | 'mailbox_full'
  | 'init_failed'
  | 'init_timeout'
  | 'max_restarts'
  | 'already_registered'
  | 'not_registered'
  | 'child_not_found'
  | 'child_running'
  | 'no_handler'
  | 'bad_return'

/** The one error class of @hubbub/actor; the subclasses below only narrow `code` for `instanceof` checks. */
export class ActorError extends Error {
  readonly code: ActorErrorCode
  constructor(code: ActorErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ActorError'
    this.code = code
  }

  /** Normalises anything thrown into an ActorError, keeping the original as `cause`. */
  static fromUnknown(err: unknown, code: ActorErrorCode = 'exit'): ActorError {
    if (err instanceof ActorError) return err
    return new ActorError(code, err instanceof Error ? err.message : String(err), { cause: err })
  }
}

/** A `call` got no reply within its timeout (default 5000 ms). */
export class CallTimeoutError extends ActorError {
  declare readonly code: 'call_timeout'
  constructor(readonly timeout: number) {
    super('call_timeout', `call timed out after ${timeout} ms`)
    this.name = 'CallTimeoutError'
  }
}

/** The target process is not alive (or never was). */
export class NoProcError extends ActorError {
  declare readonly code: 'noproc'
  constructor(what = 'process') {
    super('noproc', `${what} is not alive`)
    this.name = 'NoProcError'
  }
}

/** The process exited before answering a call; `reason` is its exit reason, `cause` the crash error if any. */
export class ExitError extends ActorError {
  declare readonly code: 'exit'
  constructor(readonly reason: unknown) {
    const cause =
      reason !== null && typeof reason === 'object' && 'error' in reason
        ? (reason as { error: unknown }).error
        : undefined
    super('exit', `process exited: ${describeReason(reason)}`, cause === undefined ? undefined : { cause })
    this.name = 'ExitError'
  }
}

/** A bounded mailbox refused (or evicted) a message. */
export class MailboxFullError extends ActorError {
  declare readonly code: 'mailbox_full'
  constructor(capacity: number) {
    super('mailbox_full', `mailbox full (capacity ${capacity})`)
    this.name = 'MailboxFullError'
  }
}

/** A supervisor restarted children more often than its intensity allows; it exits with `{ error: this }`. */
export class MaxRestartsExceededError extends ActorError {
  declare readonly code: 'max_restarts'
  constructor(
    readonly maxRestarts: number,
    readonly withinMs: number,
  ) {
    super('max_restarts', `more than ${maxRestarts} restarts within ${withinMs} ms`)
    this.name = 'MaxRestartsExceededError'
  }
}

/** `Registry.lookup` found no live process under the key. */
export class NotRegisteredError extends ActorError {
  declare readonly code: 'not_registered'
  constructor(readonly key: unknown) {
    super('not_registered', `no process registered under ${String(key)}`)
    this.name = 'NotRegisteredError'
  }
}

/** A unique key is already held by a live process. */
export class AlreadyRegisteredError extends ActorError {
  declare readonly code: 'already_registered'
  constructor(readonly key: unknown) {
    super('already_registered', `${String(key)} is already registered`)
    this.name = 'AlreadyRegisteredError'
  }
}

export function describeReason(reason: unknown): string {
  if (typeof reason === 'string') return reason
  if (reason !== null && typeof reason === 'object') {
    if ('error' in reason) {
      const e = (reason as { error: unknown }).error
      return `error: ${e instanceof Error ? e.message : String(e)}`
    }
    if ('shutdown' in reason) return 'shutdown'
  }
  return String(reason)
}
