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
 * snapshot, caught up with `replay` over the log frames published after it (when the log still
 * has all of them in the room's current epoch; otherwise the snapshot stands as saved). A
 * snapshot of another epoch covers none of this epoch's frames: they are all replayed. The
 * offset answered is the last frame the state reflects (the position when nothing was replayed).
 */
export async function restoreState(s: RoomState, position: LogPosition): Promise<Restored> {
  const { behaviour, env, roomId } = s
  if (!behaviour.persist) return { state: await behaviour.init?.(roomId), offset: position.offset }
  const loading = env.state.load(roomId)
  const snapshot = isThenable(loading) ? await loading : loading
  if (snapshot === undefined) return { state: await behaviour.init?.(roomId), offset: position.offset }
  let state = behaviour.restore ? behaviour.restore(snapshot.state, roomId) : snapshot.state
  const covers = snapshot.epoch === undefined || snapshot.epoch === position.epoch ? snapshot.offset : 0
  const replay = behaviour.replay
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
