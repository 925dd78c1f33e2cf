import type { Protocol } from '@hubbub/protocol'
import { createMsgpackCodec } from '@hubbub/protocol/msgpack'
import { chatRoom, type MessageRateLimit, type OutgoingFrame, type RoomBehaviour } from '@hubbub/rooms'
import { z } from 'zod'
import type { ClientDecoder } from './ClientDecoder.js'
import { RateLimitConfig } from './RateLimiter.js'
import { ServerError } from './ServerError.js'
import type { RoomRoute, ServerOptions } from './ServerOptions.js'
import type { TypeLimit } from './TypeBuckets.js'

/** Which behaviour a room runs, and the codecs that know the behaviours' own message types. */
export interface RoomCodecs {
  /** The behaviour of a room id: the single one, else the first matching route, else the chat room. */
  readonly behaviourFor: (roomId: string) => RoomBehaviour
  /** Behaviours by custom client frame type (frames the built-in protocol does not have); the first that defines it. */
  readonly customTypes: ReadonlyMap<string, RoomBehaviour>
  /**
   * Custom types that several behaviours define with different schemas: the decoders check only
   * their field names, and the room checks the body against its own behaviour's schema.
   */
  readonly sharedTypes: ReadonlySet<string>
  /** The rate limit a room's behaviour sets for a custom type; undefined when no behaviour sets any. */
  readonly limitOf: ((roomId: string, type: string) => TypeLimit | undefined) | undefined
  /** Whether a room's behaviour limits some type per user; undefined when no behaviour does. */
  readonly userLimited: ((roomId: string) => boolean) | undefined
  readonly jsonDecoder: ClientDecoder
  /** Undefined when msgpack is off. */
  readonly binaryDecoder: ClientDecoder | undefined
  /** Undefined when msgpack is off. */
  readonly encodeBinary: ((frame: OutgoingFrame) => Uint8Array) | undefined
}

/**
 * The decoder's shape of each custom type. A type is the behaviour's own: when several behaviours
 * define it with different schemas, the decoder accepts the union of their field names (each any
 * value) and the room checks the body against its own schema (`checked: false`).
 */
function toShapes(behaviours: readonly RoomBehaviour[], roomIdSchema: z.ZodType) {
  const shapes: Record<string, z.ZodObject> = {}
  const owner = new Map<string, RoomBehaviour>()
  const schemas = new Map<string, Set<z.ZodObject>>()
  for (const b of behaviours) {
    for (const [type, schema] of Object.entries(b.messages)) {
      if (!(schema instanceof z.ZodObject)) {
        throw new ServerError('invalid_options', `room message "${type}" must be a z.object(...)`)
      }
      if (!owner.has(type)) owner.set(type, b)
      let set = schemas.get(type)
      if (set === undefined) {
        set = new Set()
        schemas.set(type, set)
      }
      set.add(schema)
    }
  }
  const shared = new Set<string>()
  for (const [type, set] of schemas) {
    if (set.size === 1) {
      const [schema] = set as unknown as [z.ZodObject]
      shapes[type] = z.object({ ...schema.shape, roomId: roomIdSchema })
      continue
    }
    shared.add(type)
    const fields: Record<string, z.ZodType> = {}
    for (const schema of set)
      for (const key of Object.keys(schema.shape)) fields[key] = z.unknown().optional()
    shapes[type] = z.object({ ...fields, roomId: roomIdSchema })
  }
  return { shapes, owner, shared }
}

/** The rate-limit settings of each behaviour that sets `rateLimits`, by type. */
function typeLimits(
  behaviours: readonly RoomBehaviour[],
  behaviourFor: (roomId: string) => RoomBehaviour,
  abuseMs: number,
): Pick<RoomCodecs, 'limitOf' | 'userLimited'> {
  const configs = new Map<RoomBehaviour, Map<string, TypeLimit>>()
  const perUser = new Set<RoomBehaviour>()
  for (const b of behaviours) {
    if (b.rateLimits === undefined) continue
    const byType = new Map<string, TypeLimit>()
    for (const [type, limit] of Object.entries(
      b.rateLimits as Record<string, MessageRateLimit | undefined>,
    )) {
      if (limit === undefined) continue
      if (!Object.hasOwn(b.messages, type)) {
        throw new ServerError(
          'invalid_options',
          `room behaviour "${b.name}" limits "${type}", which is not one of its messages`,
        )
      }
      if (!(limit.perSecond > 0)) {
        throw new ServerError('invalid_options', `rateLimits.${type}.perSecond must be a positive number`)
      }
      const per = limit.per ?? 'user'
      if (per !== 'user' && per !== 'connection') {
        throw new ServerError('invalid_options', `rateLimits.${type}.per must be 'user' or 'connection'`)
      }
      const config = new RateLimitConfig({
        perSecond: limit.perSecond,
        burst: limit.burst ?? limit.perSecond,
        abuseMs: limit.abuseMs ?? abuseMs,
      })
      byType.set(type, { config, perUser: per === 'user' })
      if (per === 'user') perUser.add(b)
    }
    if (byType.size > 0) configs.set(b, byType)
  }
  if (configs.size === 0) return { limitOf: undefined, userLimited: undefined }
  return {
    limitOf: (roomId, type) => configs.get(behaviourFor(roomId))?.get(type),
    userLimited: perUser.size === 0 ? undefined : (roomId) => perUser.has(behaviourFor(roomId)),
  }
}

/**
 * On a log shared by several nodes every node runs its own copy of a room, so rules that hold
 * authoritative state would diverge: refuse them at start instead, unless a placement layer runs them.
 */
function refuseOwned(behaviours: readonly RoomBehaviour[]): void {
  const owned = behaviours.filter((b) => b.placement === 'owned').map((b) => `"${b.name}"`)
  if (owned.length === 0) return
  throw new ServerError(
    'invalid_options',
    `room behaviour ${owned.join(', ')} holds authoritative state (placement: 'owned'), which one node must run alone; a log shared by several nodes runs every room on every node. Declare placement: 'shared' if every node may run its own copy, or run it on a single node`,
  )
}

/** With a placement layer on a shared log, an `owned` behaviour runs as the layer's stand-in (made once). */
function placedBehaviours(
  options: Pick<ServerOptions, 'log' | 'placement'>,
): (behaviour: RoomBehaviour) => RoomBehaviour {
  const placement = options.placement
  if (placement === undefined || !options.log?.shared) return (b) => b
  const made = new Map<RoomBehaviour, RoomBehaviour>()
  return (b) => {
    if (b.placement !== 'owned') return b
    let stand = made.get(b)
    if (stand === undefined) {
      stand = placement.place(b)
      made.set(b, stand)
    }
    return stand
  }
}

/**
 * Routes `options.rooms` (one behaviour, or routes by room id) and builds the client
 * decoders (JSON, and msgpack unless `msgpack: false`) that also accept the message
 * types the behaviours define (a type several behaviours define is each one's own). Throws
 * `invalid_options` for a type that is not a `z.object(...)`, or a rate limit of a type the
 * behaviour does not define.
 */
export function roomCodecs(
  options: Pick<ServerOptions, 'rooms' | 'msgpack' | 'log' | 'placement'>,
  protocol: Protocol,
): RoomCodecs {
  const routes =
    options.rooms === undefined ? [] : 'name' in options.rooms ? [] : (options.rooms as RoomRoute[])
  const single =
    options.rooms !== undefined && 'name' in options.rooms ? (options.rooms as RoomBehaviour) : undefined
  const behaviours = single ? [single] : routes.map((r) => r.behaviour)
  if (options.log?.shared && options.placement === undefined) refuseOwned(behaviours)
  const { shapes, owner, shared } = toShapes(behaviours, protocol.schemas.roomId)
  const codec = owner.size > 0 ? protocol.defineMessages(shapes) : protocol
  let binaryDecoder: ClientDecoder | undefined
  let encodeBinary: ((frame: OutgoingFrame) => Uint8Array) | undefined
  if (options.msgpack !== false) {
    const mp = createMsgpackCodec(codec as never)
    binaryDecoder = mp as unknown as ClientDecoder
    encodeBinary = (frame) => mp.encodeServerFrame(frame as never)
  }
  const routeOf = single
    ? () => single
    : (roomId: string) => {
        for (const r of routes) {
          if (typeof r.match === 'function' ? r.match(roomId) : r.match.test(roomId)) return r.behaviour
        }
        return chatRoom
      }
  const placed = placedBehaviours(options)
  return {
    behaviourFor: (roomId) => placed(routeOf(roomId)),
    customTypes: owner,
    sharedTypes: shared,
    ...typeLimits(behaviours, routeOf, protocol.limits.rateAbuseMs),
    jsonDecoder: codec as unknown as ClientDecoder,
    binaryDecoder,
    encodeBinary,
  }
}
