import type { RoomSnapshot, RoomStateStore } from '@hubbub/rooms'
import { decodeStateValue, encodeStateValue } from './LogFrameCodec.js'
import { closeRedis, openRedis, type RedisClient, type RedisConnectionTarget } from './redisConnection.js'

export interface RedisRoomStateStoreOptions {
  /** A `redis://` URL, ioredis options, a Cluster or a ready client to copy. Default `redis://127.0.0.1:6379`. */
  redis?: RedisConnectionTarget
  /**
   * A room's snapshot is the hash `{<prefix>:<roomId>}:state` (fields `offset`, `epoch`,
   * `state`, `retired`), next to the room's log keys when both use the same prefix. Default `hubbub`.
   */
  prefix?: string
}

/**
 * The rule both save scripts share: the stored snapshot is kept when it has a higher offset in the
 * same epoch (or either has no epoch), or when the save's epoch is retired (field `retired`: the
 * epochs, comma-separated, of earlier snapshots that one of another epoch replaced, the newest
 * 16); otherwise the save replaces it, retiring the stored epoch when it differs. Atomic, so two
 * nodes saving at once leave the newest.
 *
 * `saveScript`: KEYS[1] the room's state hash; ARGV offset, epoch ('' for none), the encoded state.
 */
const NEWER_OR_RETIRED = `
-- whether the snapshot in hash \`key\` wins over one at \`offset\` in \`epoch\`: nil when the new one
-- may replace it, else true; and the retired list the hash should keep when it is replaced
local function kept(key, offset, epoch)
  local stored = redis.call('HMGET', key, 'offset', 'epoch', 'retired')
  local retired = stored[3] or ''
  if not stored[1] then return nil, retired end
  local current = stored[2] or ''
  local list = {}
  for e in string.gmatch(retired, '[^,]+') do
    if e == epoch then return true end
    if e ~= current then table.insert(list, e) end
  end
  if current == epoch or current == '' or epoch == '' then
    if tonumber(stored[1]) > tonumber(offset) then return true end
    return nil, retired
  end
  table.insert(list, current)
  while #list > 16 do table.remove(list, 1) end
  return nil, table.concat(list, ',')
end
`

const saveScript = `${NEWER_OR_RETIRED}
local keep, retired = kept(KEYS[1], ARGV[1], ARGV[2])
if keep then return 0 end
redis.call('HSET', KEYS[1], 'offset', ARGV[1], 'epoch', ARGV[2], 'state', ARGV[3], 'retired', retired)
return 1
`

/**
 * An owner's write for a room it holds with `fence` (see `saveFenced`). KEYS: the room's state
 * hash, its fence counter (`{<prefix>:<roomId>}:fence`, drawn by `RedisRoomPlacement`), its
 * answered frames (a hash) and their order (a list). ARGV: fence, '1' when a snapshot is given,
 * offset, epoch, the encoded state, a frame key ('' for none), its answer, how many frames to keep.
 * Refused (0) when another owner drew a higher fence or saved with one; 2 when the stored
 * snapshot wins by the epoch rule above (the frame is recorded all the same); 1 when written.
 */
export const SAVE_FENCED = `${NEWER_OR_RETIRED}
local fence = tonumber(ARGV[1])
if tonumber(redis.call('GET', KEYS[2]) or '0') > fence then return 0 end
if tonumber(redis.call('HGET', KEYS[1], 'fence') or '0') > fence then return 0 end
local result = 1
if ARGV[2] == '1' then
  local keep, retired = kept(KEYS[1], ARGV[3], ARGV[4])
  if keep then
    result = 2
  else
    redis.call('HSET', KEYS[1], 'offset', ARGV[3], 'epoch', ARGV[4], 'state', ARGV[5], 'fence', ARGV[1], 'retired', retired)
  end
end
if ARGV[6] ~= '' then
  redis.call('HSET', KEYS[3], ARGV[6], ARGV[7])
  redis.call('RPUSH', KEYS[4], ARGV[6])
  local keep = tonumber(ARGV[8])
  while redis.call('LLEN', KEYS[4]) > keep do
    redis.call('HDEL', KEYS[3], redis.call('LPOP', KEYS[4]))
  end
end
return result
`

/** The keys `SAVE_FENCED` takes for a room, on a prefix (all in the room's hash slot). */
export function fencedKeys(prefix: string, roomId: string): [string, string, string, string] {
  const base = `{${prefix}:${roomId}}`
  return [`${base}:state`, `${base}:fence`, `${base}:frames`, `${base}:frameorder`]
}

/** A frame an owner answered, kept with the room so the next owner answers a resend the same. */
export interface AnsweredFrame {
  /** Who sent it and its id, e.g. `<connectionId> <frameId>`. */
  key: string
  /** The answer, encoded by the caller. */
  answer: string
  /** How many answered frames the room keeps (the oldest go). */
  keep: number
}

/** What `saveFenced` did: `saved`; `kept` a newer stored snapshot; refused as `stale`. */
export type FencedSave = 'saved' | 'kept' | 'stale'

interface ScriptCommands {
  hubbubStateSave(key: string, offset: number, epoch: string, state: Buffer): Promise<number>
  hubbubStateSaveFenced(...args: (string | number | Buffer)[]): Promise<number>
}

/**
 * A `RoomStateStore` in Redis, so every node of a room reads and writes the same snapshots (a
 * Yjs document saved by one node is what a restarted room on another loads). States are stored
 * as msgpack: JSON values and bytes (`Uint8Array`) come back as saved. Snapshots never expire;
 * `delete` removes one.
 */
export class RedisRoomStateStore implements RoomStateStore {
  readonly prefix: string
  readonly #redis: RedisClient & ScriptCommands

  constructor(options: RedisRoomStateStoreOptions = {}) {
    this.prefix = options.prefix ?? 'hubbub'
    const redis = openRedis(options.redis ?? 'redis://127.0.0.1:6379', { connectionName: 'hubbub-state' })
    redis.defineCommand('hubbubStateSave', { numberOfKeys: 1, lua: saveScript })
    redis.defineCommand('hubbubStateSaveFenced', { numberOfKeys: 4, lua: SAVE_FENCED })
    redis.on('error', () => {})
    this.#redis = redis as RedisClient & ScriptCommands
  }

  async load(roomId: string): Promise<RoomSnapshot | undefined> {
    const [offset, epoch, state] = await this.#redis.hmgetBuffer(
      this.#key(roomId),
      'offset',
      'epoch',
      'state',
    )
    if (offset === null || state === null) return undefined
    const snapshot: RoomSnapshot = { state: decodeStateValue(state!), offset: Number(offset!.toString()) }
    const e = epoch?.toString() ?? ''
    if (e !== '') snapshot.epoch = e
    return snapshot
  }

  async save(roomId: string, state: unknown, offset: number, epoch?: string): Promise<void> {
    await this.#redis.hubbubStateSave(this.#key(roomId), offset, epoch ?? '', encodeStateValue(state))
  }

  /**
   * A save by the owner of a room that holds it with `fence` (`RedisRoomPlacement` draws fences on
   * this store's prefix): refused as `stale` when a newer owner drew a higher fence or saved with
   * one, so an owner that lost its lease (a long pause) never overwrites its successor's snapshot.
   * `frame` records the answer to a client frame in the same step, for the next owner to answer a
   * resend of it the same (see `answeredFrames`). One Lua script: the check and the writes are atomic.
   */
  async saveFenced(
    roomId: string,
    fence: number,
    snapshot: { state: unknown; offset: number; epoch?: string } | undefined,
    frame?: AnsweredFrame,
  ): Promise<FencedSave> {
    const result = await this.#redis.hubbubStateSaveFenced(
      ...fencedKeys(this.prefix, roomId),
      fence,
      snapshot === undefined ? '0' : '1',
      snapshot?.offset ?? 0,
      snapshot?.epoch ?? '',
      snapshot === undefined ? '' : encodeStateValue(snapshot.state),
      frame?.key ?? '',
      frame?.answer ?? '',
      frame?.keep ?? 0,
    )
    return result === 0 ? 'stale' : result === 2 ? 'kept' : 'saved'
  }

  /** The frames recorded by `saveFenced` for a room, oldest first, as `[key, answer]`. */
  async answeredFrames(roomId: string): Promise<[string, string][]> {
    return readAnsweredFrames(this.#redis, this.prefix, roomId)
  }

  async delete(roomId: string): Promise<void> {
    const [state, , frames, order] = fencedKeys(this.prefix, roomId)
    await this.#redis.del(state, frames, order)
  }

  /** Closes the connection; snapshots stay in Redis. */
  async disconnect(): Promise<void> {
    await closeRedis(this.#redis)
  }

  #key(roomId: string): string {
    return `{${this.prefix}:${roomId}}:state`
  }
}

/** The answered frames of a room on a prefix, oldest first (read by the placement too). */
export async function readAnsweredFrames(
  redis: RedisClient,
  prefix: string,
  roomId: string,
): Promise<[string, string][]> {
  const [, , frames, order] = fencedKeys(prefix, roomId)
  const keys = await redis.lrange(order, 0, -1)
  if (keys.length === 0) return []
  const answers = await redis.hmget(frames, ...keys)
  const out: [string, string][] = []
  keys.forEach((key, i) => {
    const answer = answers[i]
    if (answer !== null && answer !== undefined) out.push([key, answer])
  })
  return out
}
