import type { SequencedFrame } from './RoomLog.js'
import type { RoomState } from './RoomState.js'
import { isThenable } from './roomFanout.js'

/**
 * A `follows` room (see `RoomState.follows`) applies one sequenced frame of its room, from
 * whichever node published it: in offset order, each once. A frame it already reflects is
 * skipped; one past a hole first reads the missing frames from the log (frames that came while
 * the room was starting, say). What the log no longer has is skipped: the state goes on from
 * the frames it can still read.
 */
export function followFrame(s: RoomState, frame: SequencedFrame): void | Promise<void> {
  if (frame.offset <= s.offset) return
  if (frame.offset === s.offset + 1) {
    apply(s, frame)
    return
  }
  return catchUp(s).then(() => {
    if (frame.offset > s.offset) apply(s, frame)
  })
}

/** Reads and applies every frame after the room's offset that the log holds (in its epoch). */
export async function catchUp(s: RoomState): Promise<void> {
  const env = s.env
  const reading = env.log.read(s.roomId, {
    since: { epoch: s.epoch, offset: s.offset },
    limit: 100,
  })
  const read = isThenable(reading) ? await reading : reading
  if (!read.recovered) {
    if (read.top.epoch !== s.epoch) {
      s.epoch = read.top.epoch
      s.offset = 0
    }
    env.observer.error?.(
      s.roomId,
      new Error(
        `room ${s.roomId}: frames after offset ${s.offset} are no longer in the log; state goes on without them`,
      ),
    )
  }
  for (const frame of read.messages) if (frame.offset > s.offset) apply(s, frame)
}

function apply(s: RoomState, frame: SequencedFrame): void {
  s.behaviourState = s.behaviour.replay!(s.behaviourState, frame)
  s.offset = frame.offset
}
