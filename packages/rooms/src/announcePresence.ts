import type { RoomState } from './RoomState.js'
import { deliverLocal } from './roomFanout.js'

/** Presence for one user change: per-user events in small rooms, throttled `presence_count` in large ones. */
export function announcePresence(
  s: RoomState,
  kind: 'user_joined' | 'user_left',
  name: string,
  count: number,
): void {
  const limit = s.env.presenceLimit
  if (count < limit || (count === limit && kind === 'user_joined')) {
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

/** The throttled `presence_count`: at most one per second, and only when the count changed. */
export function sendPresenceCount(s: RoomState, now: number): void {
  if (s.users === s.presenceSentCount) return
  s.presenceSentAt = now
  s.presenceSentCount = s.users
  deliverLocal(s, { type: 'presence_count', roomId: s.roomId, count: s.users })
}
