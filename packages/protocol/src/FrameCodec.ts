import type { z } from 'zod'
import type { DecodeError, DecodeResult } from './DecodeResult.js'
import { encodeServerFrame } from './encodeServerFrame.js'
import { guardValue } from './guardValue.js'
import type { Limits } from './Limits.js'
import { readJsonText } from './readJsonText.js'

/** Decoding and encoding of one set of frames (built-in, or built-in plus an app's own) on the JSON subprotocol. */
export interface FrameCodec<C extends { type: string }, S extends { type: string }> {
  readonly limits: Limits
  /** Decodes one client WebSocket message. Never throws. */
  decodeClientFrame(data: string | Uint8Array, isBinary: boolean): DecodeResult<C>
  /** Validates an already parsed value (e.g. from msgpack) as a client frame, guards included. Never throws. */
  validateClientFrame(value: unknown): DecodeResult<C>
  /** Serialises a server frame to JSON text. Does not validate: server frames come from trusted code. */
  encodeServerFrame(frame: S): string
  /** Decodes one server WebSocket message with the full schemas (Node clients, tests). Never throws. */
  decodeServerFrame(data: string | Uint8Array): DecodeResult<S>
  /** Validates an already parsed value as a server frame. Never throws. */
  validateServerFrame(value: unknown): DecodeResult<S>
  /** Whether `type` names a client frame of this codec. */
  isClientFrameType(type: string): boolean
  /** Whether `type` names a server frame of this codec. */
  isServerFrameType(type: string): boolean
}

type Schema = z.ZodType

/** A cheap check that, when it returns true, accepts exactly what the zod schema accepts, unchanged. */
export type FastCheck = (value: Record<string, unknown>) => boolean

export function createFrameCodec<C extends { type: string }, S extends { type: string }>(
  limits: Limits,
  clientSchemas: ReadonlyMap<string, Schema>,
  serverSchemas: ReadonlyMap<string, Schema>,
  fastChecks: ReadonlyMap<string, FastCheck> = new Map(),
): FrameCodec<C, S> {
  const validateClientFrame = (value: unknown): DecodeResult<C> =>
    neverThrow(() => validate(value, clientSchemas, fastChecks, limits, 'id') as DecodeResult<C>)
  const validateServerFrame = (value: unknown): DecodeResult<S> =>
    neverThrow(() => validate(value, serverSchemas, noFastChecks, limits, 'replyTo') as DecodeResult<S>)
  return {
    limits,
    validateClientFrame,
    decodeClientFrame: (data, isBinary) =>
      neverThrow(() => {
        const read = readJsonText(data, isBinary, limits.maxPayload)
        return read.ok ? validateClientFrame(read.value) : read
      }),
    encodeServerFrame: encodeServerFrame as (frame: S) => string,
    decodeServerFrame: (data) =>
      neverThrow(() => {
        // Server frames may legitimately exceed a client's maxPayload (history, user lists).
        const read = readJsonText(data, false, Number.POSITIVE_INFINITY)
        return read.ok ? validateServerFrame(read.value) : read
      }),
    validateServerFrame,
    isClientFrameType: (type) => clientSchemas.has(type),
    isServerFrameType: (type) => serverSchemas.has(type),
  }
}

/**
 * The last line of defence of "decoders never throw": data of the wrong runtime type from untyped
 * callers, getters that throw, an app's own zod refinement that throws.
 */
function neverThrow<F>(decode: () => DecodeResult<F>): DecodeResult<F> {
  try {
    return decode()
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err)
    return {
      ok: false,
      error: { code: 'INVALID_MESSAGE', message: `(frame): cannot be read: ${reason}`, path: [] },
    }
  }
}

const noFastChecks: ReadonlyMap<string, FastCheck> = new Map()

function validate(
  value: unknown,
  schemas: ReadonlyMap<string, Schema>,
  fastChecks: ReadonlyMap<string, FastCheck>,
  limits: Limits,
  idField: 'id' | 'replyTo',
): DecodeResult<unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return invalid('Invalid input: expected a JSON object', [], undefined)
  }
  const record = value as Record<string, unknown>
  const guard = guardValue(value, limits.maxDepth)
  const replyTo = idField === 'id' ? replyToOf(record.id, limits) : undefined
  if (guard) return invalid(guard.message, guard.path, replyTo)
  const type = record.type
  if (typeof type !== 'string')
    return invalid(`Invalid input: expected string, received ${kind(type)}`, ['type'], replyTo)
  const schema = schemas.get(type)
  if (schema === undefined) {
    const error: DecodeError = {
      code: 'UNKNOWN_MESSAGE',
      message: `unknown message type "${type.slice(0, 64)}"`,
    }
    if (replyTo !== undefined) error.replyTo = replyTo
    return { ok: false, error }
  }
  const fast = fastChecks.get(type)
  if (fast?.(record)) return { ok: true, frame: record }
  const result = schema.safeParse(value)
  if (result.success) return { ok: true, frame: result.data }
  const issue = result.error.issues[0]!
  const path = issue.path.map((part) => (typeof part === 'symbol' ? String(part) : part))
  // An extra field is reported at its own path, so the message names it.
  if (issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined) path.push(issue.keys[0])
  return invalid(issue.message, path, replyTo)
}

function invalid(
  message: string,
  path: (string | number)[],
  replyTo: string | undefined,
): DecodeResult<never> {
  const error: DecodeError = { code: 'INVALID_MESSAGE', message: `${formatPath(path)}: ${message}`, path }
  if (replyTo !== undefined) error.replyTo = replyTo
  return { ok: false, error }
}

/** `since.offset`, `rooms[2].id`; the whole frame is `(frame)`. */
export function formatPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return '(frame)'
  let out = ''
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`
  return out
}

function replyToOf(id: unknown, limits: Limits): string | undefined {
  return typeof id === 'string' && id.length >= 1 && id.length <= limits.idMaxLength ? id : undefined
}

function kind(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value
}
