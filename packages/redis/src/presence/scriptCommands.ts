import type { RedisClient } from '../redisConnection.js'
import { ADD, EXPIRED, FORGET_NODE, HEARTBEAT, INDEX, PURGE_ROOM, REMOVE } from './presenceScripts.js'

/**
 * The scripts as ioredis commands: ioredis sends `EVALSHA` and falls back to `EVAL` when the
 * server does not know the script yet (after a restart, or on a new server).
 */
const commands = {
  hubbubPresenceAdd: ADD,
  hubbubPresenceRemove: REMOVE,
  hubbubPresencePurgeRoom: PURGE_ROOM,
  hubbubPresenceIndex: INDEX,
  hubbubPresenceHeartbeat: HEARTBEAT,
  hubbubPresenceExpired: EXPIRED,
  hubbubPresenceForgetNode: FORGET_NODE,
} as const

export type PresenceScript = keyof typeof commands

type Call = (numKeys: number, ...args: string[]) => Promise<unknown>

/** Registers the presence scripts on a connection this store owns. */
export function defineScripts(redis: RedisClient): void {
  for (const [name, lua] of Object.entries(commands)) redis.defineCommand(name, { lua })
}

/** Runs one script on a connection and answers its reply. */
export function runScript(
  redis: RedisClient,
  script: PresenceScript,
  keys: string[],
  args: string[],
): Promise<unknown> {
  const call = (redis as unknown as Record<PresenceScript, Call>)[script]
  return call.call(redis, keys.length, ...keys, ...args)
}
