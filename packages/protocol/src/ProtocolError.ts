/** Thrown only for programming errors when a protocol is set up (never by decoders). */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError'
  readonly code: 'INVALID_DEFINITION'

  constructor(code: 'INVALID_DEFINITION', message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}
