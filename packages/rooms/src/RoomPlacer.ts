import type { RoomBehaviour } from './defineRoom.js'
import type { RoomEnvironment } from './RoomEnvironment.js'

/**
 * Runs `owned` behaviours on one node per room when several nodes share a log (a placement layer,
 * e.g. `RedisRoomPlacement` of @hubbub/redis). Every node still runs the room actor (members,
 * presence, the log); `place` gives it a stand-in behaviour whose handlers forward to the room's
 * owner, where the real behaviour runs once, and whose answers come back as effects.
 */
export interface RoomPlacer {
  /** The behaviour a node's room actor runs in place of the `owned` behaviour `behaviour`. */
  place(behaviour: RoomBehaviour): RoomBehaviour
  /** The node's rooms run: the placer delivers owners' effects to this node's members through `env`. */
  start(env: RoomEnvironment): void | Promise<void>
}
