import type { GenServer, SystemMessage } from '@hubbub/actor'
import type { z } from 'zod'
import { closePresenceWindow, sendPresenceCount } from './announcePresence.js'
import { catchUp, followFrame } from './followLog.js'
import type { RoomEnvironment } from './RoomEnvironment.js'
import { type RoomCall, type RoomCast, type RoomInfo, type RoomRef, RoomState } from './RoomState.js'
import { restoreState } from './restoreState.js'
import { errorFrame, isThenable, publishSequenced, sendFrame, sendToOthers } from './roomFanout.js'
import {
  graceEnded,
  join,
  notInRoom,
  presenceChanged,
  presenceEntry,
  removeMember,
  report,
  scheduleIdle,
} from './roomMembership.js'
import { runHandler, timerFired } from './runHandler.js'

export interface RoomArgs {
  roomId: string
  env: RoomEnvironment
}

/**
 * One room on this node: the owner of its local members and behaviour state. Control (join,
 * leave, presence, behaviour handlers) runs here; what a behaviour publishes goes through the
 * room's log, which sequences it, and reaches members through the node's log listener and the
 * transport's fan-out. The actor never counts offsets itself.
 */
export const RoomActor: GenServer<RoomArgs, RoomState, RoomCall, RoomCast, unknown, RoomInfo> = {
  async init({ roomId, env }, self) {
    // Registered before anything else: a second incarnation racing an old one fails here, and the caller retries.
    env.registry.register(roomId, self)
    const restarted = env.local.has(roomId)
    env.local.set(roomId, undefined)
    const s = new RoomState(roomId, env, env.behaviourFor(roomId), self as RoomRef)
    let started = false
    env.observer.started?.(roomId, restarted)
    // One exit watch per room (not a monitor per member): after a crash, whoever was in
    // the lost incarnation is told, so clients rejoin (with `since`) the restarted room.
    void env.system.whenExited(self).then((reason) => {
      const crashed = typeof reason === 'object' && 'error' in reason
      // Members still here: the room crashed or was killed (an orderly stop removed them). Its own
      // presence entries go (shared state is never cleared); after a crash its members are told,
      // and each rejoins (with `since`) and recovers from the log.
      if (started && (s.members.size > 0 || s.lingering.size > 0)) {
        if (env.local.get(roomId) === s) env.local.set(roomId, undefined)
        const entries = [...s.lingering.values()].map((held) => held.entry)
        s.lingering.clear()
        for (const member of s.members.values()) {
          entries.push(presenceEntry(s, member))
          if (crashed) member.roomLost(roomId, self)
        }
        for (const entry of entries) {
          const removing = env.presence.remove(roomId, entry)
          if (isThenable(removing))
            removing.then(undefined, (err: unknown) => env.observer.error?.(roomId, err))
        }
      }
      env.observer.exited?.(roomId, crashed)
    })
    const opening = env.log.open(roomId, env.onSequenced)
    const position = isThenable(opening) ? await opening : opening
    s.epoch = position.epoch
    const restored = await restoreState(s, position)
    s.offset = restored.offset
    s.behaviourState = restored.state
    env.local.set(roomId, s)
    // Frames that came while the room was starting reached no listener here: read them now
    // (those from now on are cast to the room, and skipped when already applied).
    if (s.follows) await catchUp(s).catch((err: unknown) => env.observer.error?.(roomId, err))
    const onStart = s.behaviour.onStart
    if (onStart !== undefined) {
      await runHandler(s, null, { member: undefined, replyTo: undefined }, (ctx) =>
        onStart(ctx, s.behaviourState),
      )
    }
    started = true
    report(s)
    if (restarted) scheduleIdle(s)
    return s
  },

  async handleCall(msg, _from, s) {
    switch (msg.type) {
      case 'join':
        return { reply: await join(s, msg), state: s }
      case 'leave': {
        const entry = s.members.get(msg.member.ref)
        if (!entry)
          return { reply: { ok: false, code: 'NOT_IN_ROOM', message: `not in room "${s.roomId}"` }, state: s }
        await removeMember(s, entry, { replyTo: msg.replyTo })
        return { reply: { ok: true }, state: s }
      }
      case 'position': {
        const reading = s.env.log.read(s.roomId, { limit: 1 })
        const read = isThenable(reading) ? await reading : reading
        return { reply: read.top, state: s }
      }
    }
  },

  handleCast(msg, s) {
    switch (msg.type) {
      case 'message': {
        const { member, replyTo } = msg
        if (!s.members.has(member.ref)) {
          notInRoom(s, member, replyTo)
          return s
        }
        const onText = s.behaviour.onText
        if (!onText) {
          sendFrame(
            s,
            member,
            errorFrame('UNKNOWN_MESSAGE', `room "${s.roomId}" takes no chat messages`, replyTo),
          )
          return s
        }
        const r = runHandler(s, member.user, { member, replyTo }, (ctx) =>
          onText(ctx as never, msg.text, s.behaviourState),
        )
        return r === undefined ? s : r.then(() => s)
      }
      case 'announce':
        publishSequenced(s, {
          type: 'message',
          roomId: s.roomId,
          from: msg.from,
          text: msg.text,
          timestamp: Date.now(),
        })
        return s
      case 'presence':
        presenceChanged(s, msg.diff)
        return s
      case 'member_down': {
        const member = s.members.get(msg.member.ref)
        return member === undefined ? s : removeMember(s, member, undefined).then(() => s)
      }
      case 'typing': {
        if (!s.members.has(msg.member.ref)) {
          notInRoom(s, msg.member, undefined)
          return s
        }
        const name = msg.member.user.name
        sendToOthers(s, { type: 'typing', roomId: s.roomId, username: name, isTyping: msg.isTyping }, [name])
        return s
      }
      case 'sequenced': {
        const following = followFrame(s, msg.frame)
        if (following === undefined) return s
        return following.then(
          () => s,
          (err: unknown) => {
            s.env.observer.error?.(s.roomId, err)
            return s
          },
        )
      }
      case 'log_reset':
        s.epoch = msg.epoch
        s.offset = 0
        return s
      case 'custom': {
        const { member, replyTo } = msg
        if (!s.members.has(member.ref)) {
          notInRoom(s, member, replyTo)
          return s
        }
        const onMessage = s.behaviour.onMessage
        const type = msg.frame.type
        // Message types are the behaviour's own: another behaviour's type is unknown here.
        const schema = Object.hasOwn(s.behaviour.messages, type) ? s.behaviour.messages[type] : undefined
        if (!onMessage || schema === undefined) {
          const text = `room "${s.roomId}" does not handle "${type}"`
          sendFrame(s, member, errorFrame('UNKNOWN_MESSAGE', text, replyTo))
          return s
        }
        let frame = msg.frame
        if (msg.checked === false) {
          const { type: _t, roomId, ...body } = frame
          const parsed = (schema as z.ZodType).safeParse(body)
          if (!parsed.success) {
            const issue = parsed.error.issues[0]
            const where = issue && issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ` : ''
            sendFrame(
              s,
              member,
              errorFrame('INVALID_MESSAGE', `${where}${issue?.message ?? 'invalid'}`, replyTo),
            )
            return s
          }
          frame = { ...(parsed.data as Record<string, unknown>), type, roomId }
        }
        const r = runHandler(s, member.user, { member, replyTo }, (ctx) =>
          onMessage(ctx, frame as never, s.behaviourState),
        )
        return r === undefined ? s : r.then(() => s)
      }
    }
  },

  handleInfo(msg, s, self) {
    const m = msg as RoomInfo | SystemMessage
    switch (m.type) {
      case 'idle':
        if (m.generation === s.idleGeneration && s.members.size === 0 && s.lingering.size === 0) {
          s.idleTimer = undefined
          void s.env.system.stop(self, 'normal').catch(() => {})
        }
        return s
      case 'grace_end':
        return graceEnded(s, m.connection).then(() => s)
      case 'presence_flush':
        closePresenceWindow(s)
        return s
      case 'presence_tick':
        s.presenceTimer = undefined
        sendPresenceCount(s, Date.now())
        return s
      case 'scheduled': {
        if (m.key !== undefined && !timerFired(s, m.key, m.id!)) return s
        const handler = s.behaviour.onTimer ?? s.behaviour.onMessage
        if (!handler) return s
        const timer = { key: m.key, due: m.due, lateMs: Math.max(0, Date.now() - m.due) }
        const r = runHandler(s, null, { member: undefined, replyTo: undefined, timer }, (ctx) =>
          handler(ctx, m.message as never, s.behaviourState),
        )
        return r === undefined ? s : r.then(() => s)
      }
      default:
        return s
    }
  },

  async terminate(reason, s) {
    // A crash keeps the room in `local` (the restart finds it) and the log open for this node;
    // the exit watch in `init` cleans up after it (also for a kill, which skips terminate).
    if (typeof reason === 'object' && 'error' in reason) return
    const env = s.env
    // An orderly stop removes only its own presence entries; shared state is never cleared.
    const members = [...s.members.values()]
    env.local.delete(s.roomId)
    for (const member of members) member.unsubscribe(s.topicOf(member))
    s.members.clear()
    // Held entries of dropped members go too: nobody is left here to take them over.
    const entries = [...s.lingering.values()].map((held) => held.entry)
    s.lingering.clear()
    for (const member of members) entries.push(presenceEntry(s, member))
    for (const entry of entries) {
      const removing = env.presence.remove(s.roomId, entry)
      if (isThenable(removing)) await removing
    }
    s.binaryMembers = 0
    const closing = env.log.close(s.roomId, env.onSequenced)
    if (isThenable(closing)) await closing
    s.users = 0
    report(s)
    env.observer.stopped?.(s.roomId)
  },
}
