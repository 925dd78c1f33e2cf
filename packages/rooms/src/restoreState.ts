import type { LogPosition } from './RoomLog.js'
import type { RoomState } from './RoomState.js'
import { isThenable } from './roomFanout.js'

/** A starting room's behaviour state and the log offset it reflects. */
export interface Restored {
  state: unknown
  offset: number
}

/**
 * A starting room's behaviour state: `init`, or for a behaviour that `persist`s the last saved
 * snapshot (`init` when there is none yet), caught up with `replay` over the log frames published after it (when the log still
 * has all of them in the room's current epoch; otherwise the snapshot stands as saved). A
 * snapshot of another epoch covers none of this epoch's frames: they are all replayed. The
 * offset answered is the last frame the state reflects (the position when nothing was replayed).
 */
export async function restoreState(s: RoomState, position: LogPosition): Promise<Restored> {
  const { behaviour, env, roomId } = s
  if (!behaviour.persist) return { state: await behaviour.init?.(roomId), offset: position.offset }
  const loading = env.state.load(roomId)
  const snapshot = isThenable(loading) ? await loading : loading
  const replay = behaviour.replay
  if (snapshot === undefined && replay === undefined)
    return { state: await behaviour.init?.(roomId), offset: position.offset }
  // No snapshot yet: `init`, and every frame of the epoch replayed (another node's room may have
  // published them before any snapshot), when the log still holds them all.
  let state =
    snapshot === undefined
      ? await behaviour.init?.(roomId)
      : behaviour.restore
        ? behaviour.restore(snapshot.state, roomId)
        : snapshot.state
  const covers =
    snapshot === undefined || (snapshot.epoch !== undefined && snapshot.epoch !== position.epoch)
      ? 0
      : snapshot.offset
  if (replay === undefined || covers >= position.offset)
    return { state, offset: Math.max(covers, position.offset) }
  const reading = env.log.read(roomId, {
    since: { epoch: position.epoch, offset: covers },
    limit: position.offset - covers,
  })
  const read = isThenable(reading) ? await reading : reading
  if (!read.recovered) return { state, offset: position.offset }
  let offset = covers
  for (const frame of read.messages) {
    state = replay(state, frame)
    offset = frame.offset
  }
  return { state, offset: Math.max(offset, position.offset) }
}
