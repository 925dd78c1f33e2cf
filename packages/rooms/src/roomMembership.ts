import { announcePresence } from './announcePresence.js'
import type { OutgoingFrame, RoomUser } from './defineRoom.js'
import type { PresenceDiff, PresenceEntry } from './PresenceStore.js'
import type { LogRead } from './RoomLog.js'
import type { RoomMember } from './RoomMember.js'
import type { JoinRequest, RoomReply, RoomState } from './RoomState.js'
import { errorFrame, isThenable, sendFrame, withReply } from './roomFanout.js'
import { runHandler } from './runHandler.js'

/** A member's presence entry: its user on this node, by connection. */
export function presenceEntry(s: RoomState, member: RoomMember): PresenceEntry {
  return { key: member.key, name: member.user.name, node: s.env.nodeId, connection: member.user.connectionId }
}

/** Users came or went on another node: the room's count follows, and its local members are told. */
export function presenceChanged(s: RoomState, diff: PresenceDiff): void {
  s.users = diff.count
  for (const name of diff.joined) announcePresence(s, 'user_joined', name, diff.count, true)
  for (const name of diff.left) announcePresence(s, 'user_left', name, diff.count, true)
  report(s)
}

export function report(s: RoomState): void {
  s.env.observer.members?.(s.roomId, s.users, s.members.size)
}

export function notInRoom(s: RoomState, member: RoomMember, replyTo: string | undefined): void {
  sendFrame(s, member, errorFrame('NOT_IN_ROOM', `not in room "${s.roomId}"`, replyTo))
}

export function scheduleIdle(s: RoomState): void {
  if (s.members.size > 0 || s.lingering.size > 0) return
  const env = s.env
  if (s.idleTimer !== undefined) env.system.cancelTimer(s.idleTimer)
  s.idleTimer = env.system.sendAfter(
    s.self,
    { type: 'idle', generation: ++s.idleGeneration },
    env.emptyGraceMs,
  )
}

function cancelIdle(s: RoomState): void {
  if (s.idleTimer === undefined) return
  s.env.system.cancelTimer(s.idleTimer)
  s.idleTimer = undefined
  s.idleGeneration++
}

/**
 * Join sync, gapless whoever publishes meanwhile: the member is subscribed first, then the log
 * is read, so every frame after the read's position reaches it live and everything up to it is
 * in the answer. A frame in both (published between the two steps) carries an offset the client
 * has already seen, and the client drops it. With synchronous stores nothing runs in between.
 */
export async function join(s: RoomState, req: JoinRequest): Promise<RoomReply> {
  const { member, replyTo } = req
  const env = s.env
  if (s.members.has(member.ref)) {
    return { ok: false, code: 'ALREADY_IN_ROOM', message: `already in room "${s.roomId}"` }
  }
  if (member.isClosed) return { ok: false, code: 'NOT_IN_ROOM', message: 'the connection is closed' }
  const name = member.user.name
  const entry = presenceEntry(s, member)
  let added = await env.presence.add(s.roomId, entry)
  // The same user, back under another name while its old entry is held: that entry ends now.
  if ('taken' in added && (await endLingering(s, member.key, true)))
    added = await env.presence.add(s.roomId, entry)
  if ('taken' in added) {
    scheduleIdle(s)
    return { ok: false, code: 'USERNAME_TAKEN', message: `username "${name}" is taken in room "${s.roomId}"` }
  }
  cancelIdle(s)
  // Back within the grace: the held entry gives way to this one, and nobody hears of either.
  await endLingering(s, member.key, false)
  s.users = added.count
  // At once (presenceBatchMs 0) announced before the joiner subscribes, so one publish reaches
  // exactly the others. Batched, it is added to the window once the joiner's snapshot is read (so
  // a leave before the window closes cancels it out); the joiner's client finds itself listed.
  const batched = env.presenceBatchMs > 0
  if (added.first && !batched) announcePresence(s, 'user_joined', name, added.count)
  s.members.set(member.ref, member)
  if (member.binary && env.encodeBinary) s.binaryMembers++
  member.subscribe(s.topicOf(member))
  // From here on the joiner's snapshot may hold whoever is pending in the presence window.
  s.snapshots++

  const limit = env.presenceLimit
  const since = req.since
  const readLimit = Math.max(1, env.historyOnJoin)
  // Both asked in the same turn as the subscribe; awaited only when the store is asynchronous.
  const listing = env.presence.list(s.roomId, limit)
  const reading = env.log.read(
    s.roomId,
    since === undefined ? { limit: readLimit } : { since, limit: readLimit },
  )
  const listed = isThenable(listing) ? await listing : listing
  const read = isThenable(reading) ? await reading : reading
  // Changes that came while the snapshot was read may be in it too.
  s.snapshots++
  // The log lost the room's data meanwhile and `resetMembers` dropped the joiner: join the new epoch.
  if (!s.members.has(member.ref) && !member.isClosed) return join(s, req)
  if (added.first && batched) announcePresence(s, 'user_joined', name, s.users)
  const users = listed.users
  if (!users.includes(name)) {
    if (users.length >= limit && limit > 0) users[limit - 1] = name
    else users.push(name)
  }
  const { epoch, offset } = read.top
  sendFrame(
    s,
    member,
    withReply({ type: 'joined', roomId: s.roomId, users, count: listed.count, offset, epoch }, replyTo),
  )
  sendJoinHistory(s, member, read, since !== undefined)
  report(s)
  if (added.first && s.behaviour.onJoin) {
    const onJoin = s.behaviour.onJoin
    await runHandler(s, member.user, { member, replyTo }, (ctx) => onJoin(ctx as never, s.behaviourState))
  }
  // Every joining connection, whether or not its user was already here: it gets the full state now,
  // before any later update (it is subscribed already, and the room runs one thing at a time).
  const onSync = s.behaviour.onSync
  if (onSync !== undefined && !member.isClosed && s.members.has(member.ref)) {
    await runHandler(s, member.user, { member, replyTo: undefined }, (ctx) =>
      onSync(ctx as never, s.behaviourState),
    )
  }
  return { ok: true }
}

/** The `history` after `joined`: recovery after `since` (always sent), or the recent messages. */
function sendJoinHistory(s: RoomState, member: RoomMember, read: LogRead, recovering: boolean): void {
  // The wire's history carries chat messages; other sequenced frames stay in the log.
  const messages = read.messages.filter((m) => m.type === 'message') as OutgoingFrame[]
  if (recovering) {
    const kept = read.recovered
      ? messages
      : messages.slice(Math.max(0, messages.length - s.env.historyOnJoin))
    sendFrame(s, member, { type: 'history', roomId: s.roomId, messages: kept, recovered: read.recovered })
    return
  }
  // A room whose log holds only other frames (a Yjs document's updates) still answers, with no
  // messages: a client that saw `joined.offset` > 0 would otherwise wait for a history that never comes.
  if (read.messages.length === 0 || s.env.historyOnJoin <= 0) return
  sendFrame(s, member, { type: 'history', roomId: s.roomId, messages })
}

/** Removes a member (leave, disconnect or crash); `left` goes only to a member that asked. */
export async function removeMember(
  s: RoomState,
  member: RoomMember,
  left: { replyTo: string | undefined } | undefined,
): Promise<void> {
  const env = s.env
  s.members.delete(member.ref)
  if (member.binary && env.encodeBinary) s.binaryMembers--
  member.unsubscribe(s.topicOf(member))
  if (left) sendFrame(s, member, withReply({ type: 'left', roomId: s.roomId }, left.replyTo))
  const entry = presenceEntry(s, member)
  const graceMs = left ? 0 : (member.presenceGraceMs ?? 0)
  if (graceMs > 0) {
    // Dropped, not gone: the entry stays (the user still shows) until the grace ends or the user is back.
    const timer = env.system.sendAfter(s.self, { type: 'grace_end', connection: entry.connection }, graceMs)
    s.lingering.set(entry.connection, { entry, user: member.user, timer })
    report(s)
    return
  }
  await forgetPresence(s, entry, member.user)
}

/** Removes one presence entry; when it was the user's last, the room announces `user_left` and runs `onLeave`. */
async function forgetPresence(s: RoomState, entry: PresenceEntry, user: RoomUser): Promise<void> {
  const removed = await s.env.presence.remove(s.roomId, entry)
  s.users = removed.count
  if (removed.last) announcePresence(s, 'user_left', entry.name, removed.count)
  report(s)
  if (removed.last && s.behaviour.onLeave) {
    const onLeave = s.behaviour.onLeave
    await runHandler(s, user, { member: undefined, replyTo: undefined }, (ctx) =>
      onLeave(ctx as never, s.behaviourState),
    )
  }
  scheduleIdle(s)
}

/** A dropped member's grace is over and it did not come back: it leaves now. */
export async function graceEnded(s: RoomState, connection: string): Promise<void> {
  const held = s.lingering.get(connection)
  if (held === undefined) return
  s.lingering.delete(connection)
  await forgetPresence(s, held.entry, held.user)
}

/**
 * Ends the held entries of the user `key` (it is back). Returns whether there were any. With
 * `announce` false the caller has just added the user's new entry, so removing the old ones
 * is not the user's last and nothing is announced.
 */
async function endLingering(s: RoomState, key: string, announce: boolean): Promise<boolean> {
  let found = false
  for (const [connection, held] of [...s.lingering]) {
    if (held.entry.key !== key) continue
    found = true
    s.lingering.delete(connection)
    s.env.system.cancelTimer(held.timer)
    if (announce) await forgetPresence(s, held.entry, held.user)
    else await s.env.presence.remove(s.roomId, held.entry)
  }
  return found
}

/**
 * The room's shared log lost its data (a new epoch): every local member is dropped at once and
 * told to join afresh (`ROOM_RESET`, then `left`), before any frame of the new epoch reaches it.
 * Runs in the log's delivery, outside the room's actor, so nothing is delivered in between.
 */
export function resetMembers(s: RoomState): void {
  const env = s.env
  for (const member of [...s.members.values()]) {
    s.members.delete(member.ref)
    if (member.binary && env.encodeBinary) s.binaryMembers--
    member.unsubscribe(s.topicOf(member))
    member.roomLost(s.roomId, s.self, 'ROOM_RESET')
    const removing = env.presence.remove(s.roomId, presenceEntry(s, member))
    if (isThenable(removing)) removing.then(undefined, (err: unknown) => env.observer.error?.(s.roomId, err))
  }
  s.users = 0
  report(s)
  scheduleIdle(s)
}
