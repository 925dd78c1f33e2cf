import type { LogPosition } from './RoomLog.js'
import type { RoomState } from './RoomState.js'
import { isThenable } from './roomFanout.js'

/**
 * A starting room's behaviour state: `init`, or for a behaviour that `persist`s the last saved
 * snapshot, caught up with `replay` over the log frames published after it (when the log still
 * has all of them in the room's current epoch; otherwise the snapshot stands as saved).
 */
export async function restoreState(s: RoomState, position: LogPosition): Promise<unknown> {
  const { behaviour, env, roomId } = s
  if (!behaviour.persist) return behaviour.init?.(roomId)
  const loading = env.state.load(roomId)
  const snapshot = isThenable(loading) ? await loading : loading
  if (snapshot === undefined) return behaviour.init?.(roomId)
  let state = behaviour.restore ? behaviour.restore(snapshot.state, roomId) : snapshot.state
  const replay = behaviour.replay
  if (replay === undefined || snapshot.offset >= position.offset) return state
  const reading = env.log.read(roomId, {
    since: { epoch: position.epoch, offset: snapshot.offset },
    limit: position.offset - snapshot.offset,
  })
  const read = isThenable(reading) ? await reading : reading
  if (!read.recovered) return state
  for (const frame of read.messages) state = replay(state, frame)
  return state
}
