/** Codes of failures `@hubbub/server` throws (wire-level errors travel as `error` frames instead). */
export type ServerErrorCode = 'invalid_options' | 'not_started' | 'closed'

/** The one error class of @hubbub/server; the original error, if any, is `cause`. */
export class ServerError extends Error {
  readonly code: ServerErrorCode
  constructor(code: ServerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ServerError'
    this.code = code
  }
}
