import type { InspectorAction } from './InspectorOptions.js'

const MAX_ID = 256

/** Reads an action body (UTF-8 JSON); undefined when it is not one. */
export function parseAction(body: Uint8Array): InspectorAction | undefined {
  let raw: unknown
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body))
  } catch {
    return undefined
  }
  if (raw === null || typeof raw !== 'object') return undefined
  const r = raw as Record<string, unknown>
  const ok = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_ID
  if (r.action === 'terminate' && ok(r.connectionId))
    return { action: 'terminate', connectionId: r.connectionId }
  if (r.action === 'crash' && ok(r.roomId)) return { action: 'crash', roomId: r.roomId }
  return undefined
}
