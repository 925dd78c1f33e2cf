import { z } from 'zod'
import { createSchemas, ROOM_ID_PATTERN, type Schemas } from './createSchemas.js'
import { createFrameCodec, type FastCheck, type FrameCodec } from './FrameCodec.js'
import type { ClientFrame, ServerFrame } from './frames.js'
import { defaultLimits, type Limits } from './Limits.js'
import { ProtocolError } from './ProtocolError.js'

export interface ProtocolOptions {
  /** Overrides of the default limits; the rest keep their defaults. */
  limits?: Partial<Limits>
}

/** An app's own frames: a zod object per frame `type`, without `type` and `id` (added for you). */
export type MessageShapes = Record<string, z.ZodObject>

/** The frames an app defined, as TypeScript types: `{ type: 'move', id?: string, ...fields }`. */
export type CustomClientFrame<C extends MessageShapes> = {
  [K in keyof C & string]: { type: K; id?: string } & z.output<C[K]>
}[keyof C & string]
export type CustomServerFrame<S extends MessageShapes> = {
  [K in keyof S & string]: { type: K; replyTo?: string } & z.output<S[K]>
}[keyof S & string]

/** Built-in plus an app's frames: decoders and encoders typed with both. */
export interface Messages<C extends MessageShapes, S extends MessageShapes>
  extends FrameCodec<ClientFrame | CustomClientFrame<C>, ServerFrame | CustomServerFrame<S>> {
  /** The strict schema of each custom client frame (with `type` and `id`). */
  readonly client: { readonly [K in keyof C]: z.ZodObject }
  /** The strict schema of each custom server frame (with `type` and `replyTo`). */
  readonly server: { readonly [K in keyof S]: z.ZodObject }
  readonly clientTypes: readonly (keyof C & string)[]
  readonly serverTypes: readonly (keyof S & string)[]
}

/** The client frame union of a codec, e.g. `InferClientFrame<typeof gameMessages>`. */
export type InferClientFrame<M> = M extends FrameCodec<infer C, any> ? C : never
export type InferServerFrame<M> = M extends FrameCodec<any, infer S> ? S : never

export interface Protocol extends FrameCodec<ClientFrame, ServerFrame> {
  /** The zod schemas bound to this protocol's limits. */
  readonly schemas: Schemas
  /**
   * Adds an app's own frames (a game's `move`, an editor's `cursor`) next to the built-in ones:
   * `client` frames are validated by the returned decoder like built-in ones; `server` frames are
   * typed for the encoder and validated by `decodeServerFrame`. Names of built-in frames are refused.
   */
  defineMessages<C extends MessageShapes, S extends MessageShapes = {}>(client: C, server?: S): Messages<C, S>
}

/** A protocol bound to a set of limits (defaults for whatever `options.limits` leaves out). */
export function createProtocol(options: ProtocolOptions = {}): Protocol {
  const limits: Limits = Object.freeze({ ...defaultLimits, ...options.limits })
  const schemas = createSchemas(limits)
  const clientSchemas = new Map<string, z.ZodType>(Object.entries(schemas.client))
  const serverSchemas = new Map<string, z.ZodType>(Object.entries(schemas.server))
  const fastChecks = new Map<string, FastCheck>([['message', messageFastCheck(limits)]])
  const codec = createFrameCodec<ClientFrame, ServerFrame>(limits, clientSchemas, serverSchemas, fastChecks)

  function defineMessages<C extends MessageShapes, S extends MessageShapes = {}>(
    client: C,
    server: S = {} as S,
  ): Messages<C, S> {
    const customClient = extend(client, clientSchemas, 'client', { id: schemas.id.exactOptional() })
    const customServer = extend(server, serverSchemas, 'server', { replyTo: z.string().exactOptional() })
    const merged = createFrameCodec<ClientFrame | CustomClientFrame<C>, ServerFrame | CustomServerFrame<S>>(
      limits,
      new Map([...clientSchemas, ...Object.entries(customClient)]),
      new Map([...serverSchemas, ...Object.entries(customServer)]),
      fastChecks,
    )
    return {
      ...merged,
      client: customClient as Messages<C, S>['client'],
      server: customServer as Messages<C, S>['server'],
      clientTypes: Object.keys(client) as (keyof C & string)[],
      serverTypes: Object.keys(server) as (keyof S & string)[],
    }
  }

  return { ...codec, schemas, defineMessages }
}

function extend(
  shapes: MessageShapes,
  builtIn: ReadonlyMap<string, unknown>,
  side: 'client' | 'server',
  extra: Record<string, z.ZodType>,
): Record<string, z.ZodObject> {
  const out: Record<string, z.ZodObject> = {}
  for (const [type, schema] of Object.entries(shapes)) {
    if (builtIn.has(type)) {
      throw new ProtocolError('INVALID_DEFINITION', `"${type}" is a built-in ${side} frame type`)
    }
    if (!(schema instanceof z.ZodObject)) {
      throw new ProtocolError('INVALID_DEFINITION', `the ${side} frame "${type}" must be a z.object(...)`)
    }
    // safeExtend keeps the app's own refinements; strict() makes extra fields errors as in built-in frames.
    out[type] = schema.safeExtend({ type: z.literal(type), ...extra }).strict()
  }
  return out
}

/**
 * Hand-written check of the hottest frame, `message`: accepts only what the zod schema accepts
 * (a fast-check test compares the two); anything it refuses goes to zod for the error message.
 */
function messageFastCheck(limits: Limits): FastCheck {
  const { roomIdMaxLength, textMaxLength, idMaxLength } = limits
  return (frame) => {
    for (const key in frame) {
      if (key !== 'type' && key !== 'roomId' && key !== 'text' && key !== 'id') return false
    }
    const roomId = frame.roomId
    const text = frame.text
    const id = frame.id
    return (
      typeof roomId === 'string' &&
      roomId.length >= 1 &&
      roomId.length <= roomIdMaxLength &&
      typeof text === 'string' &&
      text.length >= 1 &&
      text.length <= textMaxLength &&
      (id === undefined
        ? !('id' in frame)
        : typeof id === 'string' && id.length >= 1 && id.length <= idMaxLength) &&
      ROOM_ID_PATTERN.test(roomId)
    )
  }
}
