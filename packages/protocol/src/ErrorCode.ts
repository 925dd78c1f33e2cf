/** Codes carried by `error` frames; the connection stays open unless a close code follows. */
export const ErrorCode = {
  INVALID_JSON: 'INVALID_JSON',
  INVALID_MESSAGE: 'INVALID_MESSAGE',
  UNKNOWN_MESSAGE: 'UNKNOWN_MESSAGE',
  INVALID_USERNAME: 'INVALID_USERNAME',
  USERNAME_TAKEN: 'USERNAME_TAKEN',
  ALREADY_IN_ROOM: 'ALREADY_IN_ROOM',
  NOT_IN_ROOM: 'NOT_IN_ROOM',
  NOT_IDENTIFIED: 'NOT_IDENTIFIED',
  USER_NOT_FOUND: 'USER_NOT_FOUND',
  ROOM_LIMIT: 'ROOM_LIMIT',
  RATE_LIMITED: 'RATE_LIMITED',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  SERVER_SHUTDOWN: 'SERVER_SHUTDOWN',
  INTERNAL: 'INTERNAL',
  UNAVAILABLE: 'UNAVAILABLE',
  ROOM_RESET: 'ROOM_RESET',
} as const

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

/** Every error code, in the order of docs/PROTOCOL.md. */
export const errorCodes: readonly ErrorCode[] = Object.values(ErrorCode)
