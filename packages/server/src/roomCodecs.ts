import type { Protocol } from '@hubbub/protocol'
import { createMsgpackCodec } from '@hubbub/protocol/msgpack'
import { chatRoom, type OutgoingFrame, type RoomBehaviour } from '@hubbub/rooms'
import { z } from 'zod'
import type { ClientDecoder } from './ClientDecoder.js'
import { ServerError } from './ServerError.js'
import type { RoomRoute, ServerOptions } from './ServerOptions.js'

/** Which behaviour a room runs, and the codecs that know the behaviours' own message types. */
export interface RoomCodecs {
  /** The behaviour of a room id: the single one, else the first matching route, else the chat room. */
  readonly behaviourFor: (roomId: string) => RoomBehaviour
  /** Behaviours by custom client frame type (frames the built-in protocol does not have). */
  readonly customTypes: ReadonlyMap<string, RoomBehaviour>
  readonly jsonDecoder: ClientDecoder
  /** Undefined when msgpack is off. */
  readonly binaryDecoder: ClientDecoder | undefined
  /** Undefined when msgpack is off. */
  readonly encodeBinary: ((frame: OutgoingFrame) => Uint8Array) | undefined
}

function toShapes(behaviours: readonly RoomBehaviour[], roomIdSchema: z.ZodType) {
  const shapes: Record<string, z.ZodObject> = {}
  const owner = new Map<string, RoomBehaviour>()
  for (const b of behaviours) {
    for (const [type, schema] of Object.entries(b.messages)) {
      if (owner.has(type) && owner.get(type) !== b) {
        throw new ServerError('invalid_options', `message type "${type}" is defined by two room behaviours`)
      }
      if (!(schema instanceof z.ZodObject)) {
        throw new ServerError('invalid_options', `room message "${type}" must be a z.object(...)`)
      }
      owner.set(type, b)
      shapes[type] = z.object({ ...schema.shape, roomId: roomIdSchema })
    }
  }
  return { shapes, owner }
}

/**
 * On a log shared by several nodes every node runs its own copy of a room, so rules that hold
 * authoritative state would diverge: refuse them at start instead.
 */
function refuseOwned(behaviours: readonly RoomBehaviour[]): void {
  const owned = behaviours.filter((b) => b.placement === 'owned').map((b) => `"${b.name}"`)
  if (owned.length === 0) return
  throw new ServerError(
    'invalid_options',
    `room behaviour ${owned.join(', ')} holds authoritative state (placement: 'owned'), which one node must run alone; a log shared by several nodes runs every room on every node. Declare placement: 'shared' if every node may run its own copy, or run it on a single node`,
  )
}

/**
 * Routes `options.rooms` (one behaviour, or routes by room id) and builds the client
 * decoders (JSON, and msgpack unless `msgpack: false`) that also accept the message
 * types the behaviours define. Throws `invalid_options` for a type defined twice or
 * not a `z.object(...)`.
 */
export function roomCodecs(
  options: Pick<ServerOptions, 'rooms' | 'msgpack' | 'log'>,
  protocol: Protocol,
): RoomCodecs {
  const routes =
    options.rooms === undefined ? [] : 'name' in options.rooms ? [] : (options.rooms as RoomRoute[])
  const single =
    options.rooms !== undefined && 'name' in options.rooms ? (options.rooms as RoomBehaviour) : undefined
  const behaviours = single ? [single] : routes.map((r) => r.behaviour)
  if (options.log?.shared) refuseOwned(behaviours)
  const { shapes, owner } = toShapes(behaviours, protocol.schemas.roomId)
  const codec = owner.size > 0 ? protocol.defineMessages(shapes) : protocol
  let binaryDecoder: ClientDecoder | undefined
  let encodeBinary: ((frame: OutgoingFrame) => Uint8Array) | undefined
  if (options.msgpack !== false) {
    const mp = createMsgpackCodec(codec as never)
    binaryDecoder = mp as unknown as ClientDecoder
    encodeBinary = (frame) => mp.encodeServerFrame(frame as never)
  }
  const behaviourFor = single
    ? () => single
    : (roomId: string) => {
        for (const r of routes) {
          if (typeof r.match === 'function' ? r.match(roomId) : r.match.test(roomId)) return r.behaviour
        }
        return chatRoom
      }
  return {
    behaviourFor,
    customTypes: owner,
    jsonDecoder: codec as unknown as ClientDecoder,
    binaryDecoder,
    encodeBinary,
  }
}
