/** Wire format version of the envelope; a node drops envelopes of a version it does not know. */
export const ENVELOPE_VERSION = 1

/**
 * One `publish` crossing nodes. `seq` increases by one per publish of the sending
 * adapter instance; `instance` is random per adapter, so a node restarted under the
 * same `nodeId` starts a fresh sequence instead of being taken for stale.
 */
export interface PublishEnvelope {
  readonly v: typeof ENVELOPE_VERSION
  readonly type: 'publish'
  readonly nodeId: string
  readonly instance: string
  readonly seq: number
  readonly topic: string
  readonly payload: unknown
  readonly ts: number
}

/** A node-to-node message that is not a publish (heartbeats, goodbyes, driver-specific needs). */
export interface ControlEnvelope {
  readonly v: typeof ENVELOPE_VERSION
  readonly type: 'control'
  readonly nodeId: string
  readonly name: string
  readonly data?: unknown
  readonly ts: number
}

/** What adapters exchange, discriminated by `type` so new kinds can be added without guessing. */
export type Envelope = PublishEnvelope | ControlEnvelope

/** What a codec turns an envelope into: text for text channels, bytes for binary ones. */
export type EncodedEnvelope = string | Uint8Array

/** Narrows untrusted decoded data to an `Envelope`: bytes from another node are never trusted blindly. */
export function isEnvelope(value: unknown): value is Envelope {
  if (typeof value !== 'object' || value === null) return false
  const e = value as Record<string, unknown>
  if (e.v !== ENVELOPE_VERSION || typeof e.nodeId !== 'string' || typeof e.ts !== 'number') return false
  if (e.type === 'publish')
    return (
      typeof e.topic === 'string' &&
      typeof e.instance === 'string' &&
      typeof e.seq === 'number' &&
      'payload' in e
    )
  if (e.type === 'control') return typeof e.name === 'string'
  return false
}
