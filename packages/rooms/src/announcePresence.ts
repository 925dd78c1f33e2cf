import type { RoomState } from './RoomState.js'
import { deliverLocal, flushPresence } from './roomFanout.js'

/**
 * Presence for one user change: named in the room's next `presence_diff` (or, with
 * `presenceBatchMs` 0, a `user_joined` / `user_left` at once) in small rooms, a throttled
 * `presence_count` in large ones. `remote`: the change came through the presence feed from
 * another node, whose timing against a joiner's snapshot is unknown, so it never cancels out.
 */
export function announcePresence(
  s: RoomState,
  kind: 'user_joined' | 'user_left',
  name: string,
  count: number,
  remote = false,
): void {
  const limit = s.env.presenceLimit
  if (count < limit || (count === limit && kind === 'user_joined')) {
    if (s.env.presenceBatchMs > 0) {
      batchPresence(s, kind === 'user_joined', name, count, remote)
      return
    }
    // The user's own connections are not subscribed at this point (first in / last out): one
    // publish, encoded once and fanned out by the transport, instead of a send per member. Local
    // only: every node announces the changes the presence feed reports to its own members.
    deliverLocal(s, { type: kind, roomId: s.roomId, username: name })
    return
  }
  const now = Date.now()
  const wait = s.presenceSentAt + 1000 - now
  if (wait <= 0) {
    sendPresenceCount(s, now)
    return
  }
  s.presenceTimer ??= s.env.system.sendAfter(s.self, { type: 'presence_tick' }, wait)
}

/**
 * Adds a change to the room's presence window, opening one if none is. A join and a leave of
 * the same user inside the window cancel out, unless a member joined in between: its snapshot
 * may hold the user, so the window closes first and both changes go out, in order.
 */
function batchPresence(s: RoomState, joined: boolean, name: string, count: number, remote: boolean): void {
  s.presenceBatch ??= new Map()
  const batch = s.presenceBatch
  const pending = batch.get(name)
  if (pending !== undefined && pending.joined !== joined) {
    if (remote || pending.snapshots !== s.snapshots) {
      flushPresence(s)
      batchPresence(s, joined, name, count, remote)
      return
    }
    batch.delete(name)
  } else if (pending === undefined) batch.set(name, { joined, snapshots: s.snapshots })
  s.presenceBatchCount = count
  s.presenceBatchTimer ??= s.env.system.sendAfter(s.self, { type: 'presence_flush' }, presenceWindow(s))
}

/**
 * How long the room's window stays open: `presenceBatchMs` up to 10 members, one more
 * `presenceBatchMs` per 10 members beyond, at most a second (unless `presenceBatchMs` is longer).
 * A diff costs one write per member, so a busy room spends about as much on presence whatever
 * its size, and a room that fills up (every client reconnecting at once) cannot flood its members.
 */
export function presenceWindow(s: RoomState): number {
  const base = s.env.presenceBatchMs
  return Math.max(base, Math.min(1000, base * Math.ceil(s.members.size / 10)))
}

/** The throttled `presence_count`: at most one per second, and only when the count changed. */
export function sendPresenceCount(s: RoomState, now: number): void {
  if (s.users === s.presenceSentCount) return
  s.presenceSentAt = now
  s.presenceSentCount = s.users
  deliverLocal(s, { type: 'presence_count', roomId: s.roomId, count: s.users })
}
