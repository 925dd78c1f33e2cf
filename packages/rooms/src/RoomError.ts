/** Codes of failures this package reports. */
export type RoomErrorCode = 'room_unavailable' | 'invalid_options'

/** The one error class of @hubbub/rooms. */
export class RoomError extends Error {
  readonly code: RoomErrorCode
  constructor(code: RoomErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'RoomError'
    this.code = code
  }
}
