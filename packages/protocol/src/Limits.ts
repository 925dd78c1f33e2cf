/**
 * Every limit of the wire protocol and of a server speaking it, as overridable defaults.
 * The protocol's own schemas read the first group; the server enforces the rest.
 */
export interface Limits {
  /** Longest `roomId` (characters of `[A-Za-z0-9_.:-]`). */
  readonly roomIdMaxLength: number
  /** Longest `username` after trimming. */
  readonly usernameMaxLength: number
  /** Longest message `text` (UTF-16 code units, as `String.length`). */
  readonly textMaxLength: number
  /** Longest client frame `id`. */
  readonly idMaxLength: number
  /** Largest `limit` a `get_history` frame may ask for. */
  readonly historyMaxLimit: number
  /** `limit` a server applies when `get_history` carries none, and the history sent after `joined`. */
  readonly historyDefaultLimit: number
  /** Largest frame in bytes (`maxPayload`); a transport closes larger frames with 1009. */
  readonly maxPayload: number
  /** Deepest object/array nesting a decoded frame may have (checked before schema validation). */
  readonly maxDepth: number
  /** Rooms one connection may be in at once (`ROOM_LIMIT` beyond). */
  readonly roomsPerConnection: number
  /** Members up to which a room sends per-user presence events; beyond it, `presence_count`. */
  readonly presenceLimit: number
  /** Token bucket refill rate per connection, frames per second (`RATE_LIMITED` when empty). */
  readonly ratePerSecond: number
  /** Token bucket size per connection. */
  readonly rateBurst: number
  /** How long a connection may stay over the rate before it is closed with 1008. */
  readonly rateAbuseMs: number
  /** Connections per remote address; `Infinity` means no cap (the default: NATs and load tests share addresses). */
  readonly connectionsPerAddress: number
}

export const defaultLimits: Limits = Object.freeze({
  roomIdMaxLength: 64,
  usernameMaxLength: 32,
  textMaxLength: 2000,
  idMaxLength: 64,
  historyMaxLimit: 100,
  historyDefaultLimit: 50,
  maxPayload: 64 * 1024,
  maxDepth: 16,
  roomsPerConnection: 100,
  presenceLimit: 1000,
  ratePerSecond: 20,
  rateBurst: 40,
  rateAbuseMs: 5000,
  connectionsPerAddress: Number.POSITIVE_INFINITY,
})
