import type { ServerFrame } from './frames.js'

// Everything a browser client needs besides the check, none of which loads zod.
export { CloseCode } from './CloseCode.js'
export type { DecodeError, DecodeResult } from './DecodeResult.js'
export { ErrorCode, errorCodes } from './ErrorCode.js'
export type * from './frames.js'
export {
  type ClientFrameType,
  clientFrameTypes,
  type ServerFrameType,
  serverFrameTypes,
} from './frameTypes.js'
export { JSON_SUBPROTOCOL, MSGPACK_SUBPROTOCOL, type Subprotocol } from './negotiate.js'

// What each built-in server frame must carry, by JSON type; optional fields are not listed.
// Deliberately zod-free so a browser client can check frames without shipping zod.
type Kind = 'string' | 'number' | 'boolean' | 'array'
const required: Record<ServerFrame['type'], Readonly<Record<string, Kind>>> = {
  welcome: { connectionId: 'string', protocol: 'number', serverTime: 'number', heartbeatMs: 'number' },
  joined: { roomId: 'string', users: 'array', count: 'number', offset: 'number', epoch: 'string' },
  history: { roomId: 'string', messages: 'array' },
  left: { roomId: 'string' },
  message: { roomId: 'string', from: 'string', text: 'string', timestamp: 'number', offset: 'number' },
  user_joined: { roomId: 'string', username: 'string' },
  user_left: { roomId: 'string', username: 'string' },
  presence_count: { roomId: 'string', count: 'number' },
  presence_diff: { roomId: 'string', joins: 'array', leaves: 'array', count: 'number' },
  room_list: { rooms: 'array' },
  user_list: { roomId: 'string', users: 'array', count: 'number' },
  typing: { roomId: 'string', username: 'string', isTyping: 'boolean' },
  private: { from: 'string', to: 'string', text: 'string', timestamp: 'number' },
  pong: { timestamp: 'number' },
  error: { code: 'string', message: 'string' },
  room_resync: { roomId: 'string', fence: 'number' },
}
const requiredByType = new Map(Object.entries(required))

/**
 * A light check of a parsed server frame: a known `type` and its required fields with the right
 * JSON types. Extra fields are tolerated, so an older client keeps working with a newer server.
 * `customTypes` names an app's own server frames, which are accepted on their `type` alone.
 */
export function isServerFrame(value: unknown, customTypes?: ReadonlySet<string>): value is ServerFrame {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const frame = value as Record<string, unknown>
  const type = frame.type
  if (typeof type !== 'string') return false
  const fields = requiredByType.get(type)
  if (fields === undefined) return customTypes?.has(type) === true
  for (const name in fields) {
    const field = frame[name]
    const kind = fields[name]
    if (kind === 'array' ? !Array.isArray(field) : typeof field !== kind) return false
  }
  return true
}

/** Parses one text WebSocket message from a server; `null` when it is not JSON or not a server frame. */
export function parseServerFrame(text: string, customTypes?: ReadonlySet<string>): ServerFrame | null {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return null
  }
  return isServerFrame(value, customTypes) ? value : null
}
