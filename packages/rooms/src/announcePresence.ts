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
  s.presenceWindowBusy = true
  s.presenceBatchTimer ??= s.env.system.sendAfter(s.self, { type: 'presence_flush' }, presenceWindow(s))
}

/**
 * How long the room's window stays open: `presenceBatchMs` up to 10 members, one more
 * `presenceBatchMs` per 10 members beyond, and longer while changes keep coming (see
 * `closePresenceWindow`), at most `presenceBatchMaxMs`. A diff costs one write per member, so a
 * busy room spends about as much on presence whatever its size, and a room that fills up (every
 * client reconnecting at once) cannot flood its members.
 */
export function presenceWindow(s: RoomState): number {
  const base = s.env.presenceBatchMs
  const bySize = base * Math.ceil(s.members.size / 10)
  return Math.min(s.env.presenceBatchMaxMs, Math.max(base, bySize, s.presenceWindowMs))
}

/**
 * The room's window timer fired. When changes came in the window (a burst of joins or leaves),
 * its diff goes out and the next window opens at once, twice as long (up to `presenceBatchMaxMs`),
 * so a burst costs a few diffs per member instead of one per `presenceBatchMs`. A window that
 * passes with no change ends the burst: the next change opens a `presenceBatchMs` window again.
 * Changes are only ever delayed, never dropped or merged across a member's snapshot.
 */
export function closePresenceWindow(s: RoomState): void {
  s.presenceBatchTimer = undefined
  const busy = s.presenceWindowBusy
  s.presenceWindowBusy = false
  flushPresence(s)
  if (!busy) {
    s.presenceWindowMs = 0
    return
  }
  const base = s.env.presenceBatchMs
  s.presenceWindowMs = Math.min(s.env.presenceBatchMaxMs, Math.max(base, s.presenceWindowMs) * 2)
  s.presenceBatchTimer = s.env.system.sendAfter(s.self, { type: 'presence_flush' }, presenceWindow(s))
}

/** The throttled `presence_count`: at most one per second, and only when the count changed. */
export function sendPresenceCount(s: RoomState, now: number): void {
  if (s.users === s.presenceSentCount) return
  s.presenceSentAt = now
  s.presenceSentCount = s.users
  deliverLocal(s, { type: 'presence_count', roomId: s.roomId, count: s.users })
}
