import type { EventBus } from '@hubbub/bus'
import { encodeServerFrame } from '@hubbub/protocol'
import {
  type OutgoingFrame,
  type RoomBehaviour,
  RoomManager,
  roomBinaryTopic,
  roomTopic,
} from '@hubbub/rooms'
import type { ConnectionCore } from './ConnectionCore.js'
import type { RoomRates } from './introspection/index.js'
import type { ServerOptions } from './ServerOptions.js'

/** What the room supervisor is started with. */
export interface RoomsStart {
  readonly nodeId: string
  readonly options: ServerOptions
  /** The system, limits, metrics, logger and topic bridge; its `roomManager` gives the room count. */
  readonly core: ConnectionCore
  readonly bus: EventBus<string | Uint8Array>
  readonly behaviourFor: (roomId: string) => RoomBehaviour
  readonly encodeBinary: ((frame: OutgoingFrame) => Uint8Array) | undefined
  /** This node's connections per running room (what `broadcast` returns). */
  readonly roomConnections: Map<string, number>
  /** Frames published per room, for `introspect()`. */
  readonly rates: RoomRates
}

/**
 * Starts the `RoomManager` and observes its rooms: member counts, fan-out and
 * restart metrics, and the bus topics a room holds open on the bridge while it lives.
 */
export async function startRooms(s: RoomsStart): Promise<RoomManager> {
  const { options: o, core, roomConnections, rates } = s
  const manager = await RoomManager.start({
    system: core.system,
    nodeId: s.nodeId,
    ...(o.presenceHeartbeatMs === undefined ? {} : { heartbeatMs: o.presenceHeartbeatMs }),
    bus: s.bus,
    ...(o.log ? { log: o.log } : {}),
    ...(o.presence ? { presence: o.presence } : {}),
    ...(o.state ? { state: o.state } : {}),
    historySize: o.historySize ?? 100,
    // Frames the log sequenced go straight to this node's transport: the log already reached every node.
    deliver: (topic, data) => core.bridge.deliver(topic, data),
    rooms: s.behaviourFor,
    presenceLimit: core.limits.presenceLimit,
    presenceBatchMs: o.presenceBatchMs ?? 50,
    ...(o.presenceBatchMaxMs === undefined ? {} : { presenceBatchMaxMs: o.presenceBatchMaxMs }),
    historyOnJoin: core.limits.historyDefaultLimit,
    emptyGraceMs: o.roomGraceMs ?? 30_000,
    encode: encodeServerFrame as (frame: OutgoingFrame) => string,
    ...(s.encodeBinary ? { encodeBinary: s.encodeBinary } : {}),
    observer: {
      members: (roomId, _users, connections) => {
        if (connections === 0) roomConnections.delete(roomId)
        else roomConnections.set(roomId, connections)
      },
      // Counted once per publish (by the room's local connections), never per recipient.
      published: (roomId, connections) => {
        core.metrics.fanoutDeliveries.inc(connections)
        rates.count(roomId)
      },
      exited: (roomId) => {
        core.bridge.close(roomTopic(roomId))
        core.bridge.close(roomBinaryTopic(roomId))
      },
      started: (roomId, restarted) => {
        core.bridge.open(roomTopic(roomId))
        core.bridge.open(roomBinaryTopic(roomId))
        core.metrics.rooms.set(core.roomManager?.count ?? 0)
        if (restarted) {
          core.metrics.actorRestarts.inc()
          core.logger.warn({ roomId }, 'room restarted; its members rejoin and recover from the log')
        }
      },
      stopped: (roomId) => {
        rates.forget(roomId)
        core.logger.debug({ roomId }, 'room stopped')
      },
      error: (roomId, err) => core.logger.error({ err, roomId }, 'room store call failed'),
    },
  })
  if (o.placement && o.log?.shared) await o.placement.start(manager.env)
  return manager
}
