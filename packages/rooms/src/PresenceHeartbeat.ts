import type { ActorSystem, GenServer, GenServerRef } from '@hubbub/actor'
import type { PresenceStore } from './PresenceStore.js'
import { isThenable } from './roomFanout.js'

export interface PresenceHeartbeatArgs {
  system: ActorSystem
  presence: PresenceStore
  node: string
  everyMs: number
  onError(err: unknown): void
}

type Beat = { type: 'beat' }

function beat(a: PresenceHeartbeatArgs): void {
  try {
    const done = a.presence.heartbeat(a.node)
    if (isThenable(done)) done.then(undefined, a.onError)
  } catch (err) {
    a.onError(err)
  }
}

/**
 * Tells the presence store, every `everyMs`, that this node lives. An actor of the node's
 * system, so its timer goes with the system; a store shared by nodes drops a node whose beats stop.
 */
export const PresenceHeartbeat: GenServer<
  PresenceHeartbeatArgs,
  PresenceHeartbeatArgs,
  never,
  never,
  never,
  Beat
> = {
  init(args, self) {
    beat(args)
    args.system.sendAfter(self as GenServerRef<never, never, never, Beat>, { type: 'beat' }, args.everyMs)
    return args
  },
  handleInfo(_msg, args, self) {
    beat(args)
    args.system.sendAfter(self as GenServerRef<never, never, never, Beat>, { type: 'beat' }, args.everyMs)
    return args
  },
}
