import type { OutgoingFrame } from '@hubbub/rooms'
import type { ConnectionRecord } from '../ConnectionRecord.js'
import { INSPECTOR_ROOM } from './InspectorFeed.js'
import { parseAction } from './parseAction.js'

type Frame = { type: string; id?: string; roomId?: unknown; text?: unknown }

function send(conn: ConnectionRecord, frame: OutgoingFrame, replyTo: string | undefined): void {
  if (replyTo !== undefined) frame.replyTo = replyTo
  conn.send(conn.core.encode(conn, frame))
}

/**
 * A `join`, `leave` or `message` naming the `hubbub:inspector` system room. Only a connection that
 * gave the inspector secret at the upgrade may use it (`FORBIDDEN` otherwise): `join` starts the
 * feed for it, `leave` stops it, and a `message` whose text is an action (JSON
 * `{"action":"terminate","connectionId"}` or `{"action":"crash","roomId"}`) is carried out.
 */
export async function inspectorFrame(conn: ConnectionRecord, frame: Frame): Promise<void> {
  const core = conn.core
  const replyTo = frame.id
  const watcher = core.inspectors.get(conn)
  const feed = core.inspector
  if (watcher === undefined || feed === undefined) {
    const message = 'the inspector room needs the inspector secret'
    return send(conn, { type: 'error', code: 'FORBIDDEN', message }, replyTo)
  }
  const roomId = INSPECTOR_ROOM
  if (frame.type === 'join') {
    send(conn, { type: 'inspector', kind: 'joined', roomId }, replyTo)
    feed.watch(watcher)
    return
  }
  if (frame.type === 'leave') {
    feed.unwatch(watcher)
    return send(conn, { type: 'left', roomId }, replyTo)
  }
  if (frame.type === 'message') {
    const action =
      typeof frame.text === 'string' ? parseAction(new TextEncoder().encode(frame.text)) : undefined
    if (action === undefined) {
      const message = 'expected {"action":"terminate","connectionId"} or {"action":"crash","roomId"}'
      return send(conn, { type: 'error', code: 'INVALID_MESSAGE', message }, replyTo)
    }
    const result = await feed.act(action)
    return send(conn, { type: 'inspector', kind: 'result', roomId, ...action, ...result }, replyTo)
  }
  return send(conn, { type: 'error', code: 'FORBIDDEN', message: 'not in the inspector room' }, replyTo)
}
