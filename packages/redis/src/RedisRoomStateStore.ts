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
 * KEYS[1] the room's state hash; ARGV offset, epoch ('' for none), the encoded state. Keeps the
 * stored snapshot when it has a higher offset in the same epoch (or either has no epoch), or
 * when the save's epoch is retired (field `retired`: the epochs, comma-separated, of earlier
 * snapshots that one of another epoch replaced, the newest 16); otherwise replaces it. Atomic,
 * so two nodes saving at once leave the newest.
 */
const saveScript = `
local stored = redis.call('HMGET', KEYS[1], 'offset', 'epoch', 'retired')
local retired = stored[3] or ''
if stored[1] then
  local epoch = stored[2] or ''
  local list = {}
  for e in string.gmatch(retired, '[^,]+') do
    if e == ARGV[2] then return 0 end
    if e ~= epoch then table.insert(list, e) end
  end
  local same = epoch == ARGV[2] or epoch == '' or ARGV[2] == ''
  if same then
    if tonumber(stored[1]) > tonumber(ARGV[1]) then return 0 end
  else
    table.insert(list, epoch)
    while #list > 16 do table.remove(list, 1) end
    retired = table.concat(list, ',')
  end
end
redis.call('HSET', KEYS[1], 'offset', ARGV[1], 'epoch', ARGV[2], 'state', ARGV[3], 'retired', retired)
return 1
`

interface ScriptCommands {
  hubbubStateSave(key: string, offset: number, epoch: string, state: Buffer): Promise<number>
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

  async delete(roomId: string): Promise<void> {
    await this.#redis.del(this.#key(roomId))
  }

  /** Closes the connection; snapshots stay in Redis. */
  async disconnect(): Promise<void> {
    await closeRedis(this.#redis)
  }

  #key(roomId: string): string {
    return `{${this.prefix}:${roomId}}:state`
  }
}
