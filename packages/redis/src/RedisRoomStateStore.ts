import type { RoomSnapshot, RoomStateStore } from '@hubbub/rooms'
import { closeRedis, openRedis, type RedisClient, type RedisConnectionTarget } from './redisConnection.js'

export interface RedisRoomStateStoreOptions {
  /** Where Redis is (as for the other parts of this package). Default `redis://127.0.0.1:6379`. */
  redis?: RedisConnectionTarget
  /** The application's prefix, the same as the room log's. Default `hubbub`. */
  prefix?: string
}

/** KEYS: the room's state hash. ARGV: offset, JSON state. Keeps the snapshot with the highest offset. */
const SAVE = `
local held = redis.call('HGET', KEYS[1], 'offset')
if held and tonumber(held) > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'offset', ARGV[1], 'state', ARGV[2])
return 1
`

/**
 * Room snapshots in Redis, next to the room's log (`{<prefix>:<roomId>}:state`, a hash of `offset`
 * and the JSON `state`), so the node that takes over an owned room restores what its last owner
 * saved. States must be JSON values (use the behaviour's `snapshot`/`restore` for anything else).
 */
export class RedisRoomStateStore implements RoomStateStore {
  readonly #redis: RedisClient
  readonly #prefix: string

  constructor(options: RedisRoomStateStoreOptions = {}) {
    this.#redis = openRedis(options.redis ?? 'redis://127.0.0.1:6379')
    this.#redis.on('error', () => {})
    this.#prefix = options.prefix ?? 'hubbub'
  }

  #key(roomId: string): string {
    return `{${this.#prefix}:${roomId}}:state`
  }

  async load(roomId: string): Promise<RoomSnapshot | undefined> {
    const [offset, state] = await this.#redis.hmget(this.#key(roomId), 'offset', 'state')
    if (offset === null || offset === undefined || state === null || state === undefined) return undefined
    return { state: JSON.parse(state) as unknown, offset: Number(offset) }
  }

  async save(roomId: string, state: unknown, offset: number): Promise<void> {
    await this.#redis.eval(SAVE, 1, this.#key(roomId), offset, JSON.stringify(state))
  }

  async delete(roomId: string): Promise<void> {
    await this.#redis.del(this.#key(roomId))
  }

  /** Closes its connection (the snapshots stay in Redis). */
  async disconnect(): Promise<void> {
    await closeRedis(this.#redis)
  }
}
