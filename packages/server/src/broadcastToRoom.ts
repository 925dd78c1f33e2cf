import type { EventBus } from '@hubbub/bus'
import { encodeServerFrame } from '@hubbub/protocol'
import { type OutgoingFrame, type RoomManager, roomBinaryTopic, roomTopic } from '@hubbub/rooms'

/**
 * `server.broadcast`: `{ text, from? }` is a chat `message`, sequenced by the room's log like a
 * member's; any other frame is published to the room's topics as is (encoded once per
 * encoding). Returns this node's connections in the room (0 when the room is not running).
 */
export function broadcastToRoom(
  rooms: RoomManager,
  bus: EventBus<string | Uint8Array>,
  encodeBinary: ((frame: OutgoingFrame) => Uint8Array) | undefined,
  localConnections: number,
  roomId: string,
  frame: { text: string; from?: string } | OutgoingFrame,
): number {
  const ref = rooms.whereis(roomId)
  if (ref === undefined) return 0
  if (!('type' in frame) || frame.type === 'message') {
    const f = frame as { text: string; from?: string }
    rooms.env.system.cast(ref, { type: 'announce', from: f.from ?? 'server', text: String(f.text) })
  } else {
    bus.publish(roomTopic(roomId), encodeServerFrame(frame as OutgoingFrame))
    if (encodeBinary) bus.publish(roomBinaryTopic(roomId), encodeBinary(frame as OutgoingFrame))
  }
  return localConnections
}
