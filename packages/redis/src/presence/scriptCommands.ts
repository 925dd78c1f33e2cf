import type { ChainableCommander, Redis } from 'ioredis'
import { ADD, EXPIRED, FORGET_NODE, HEARTBEAT, PURGE_ROOM, REMOVE } from './presenceScripts.js'

/**
 * The scripts as ioredis commands: ioredis sends `EVALSHA` and falls back to `EVAL` when the
 * server does not know the script yet (after a restart, or on a new server).
 */
const commands = {
  hubbubPresenceAdd: ADD,
  hubbubPresenceRemove: REMOVE,
  hubbubPresencePurgeRoom: PURGE_ROOM,
  hubbubPresenceHeartbeat: HEARTBEAT,
  hubbubPresenceExpired: EXPIRED,
  hubbubPresenceForgetNode: FORGET_NODE,
} as const

export type PresenceScript = keyof typeof commands

type Call = (numKeys: number, ...args: string[]) => Promise<unknown>

/** Registers the presence scripts on a connection this store owns. */
export function defineScripts(redis: Redis): void {
  for (const [name, lua] of Object.entries(commands)) redis.defineCommand(name, { lua })
}

/** Runs one script on a connection and answers its reply. */
export function runScript(
  redis: Redis,
  script: PresenceScript,
  keys: string[],
  args: string[],
): Promise<unknown> {
  const call = (redis as unknown as Record<PresenceScript, Call>)[script]
  return call.call(redis, keys.length, ...keys, ...args)
}

/** Queues one script on a pipeline (or `multi`) of a connection that has the scripts defined. */
export function queueScript(
  pipeline: ChainableCommander,
  script: PresenceScript,
  keys: string[],
  args: string[],
): void {
  const call = (pipeline as unknown as Record<PresenceScript, Call>)[script]
  void call.call(pipeline, keys.length, ...keys, ...args)
}
