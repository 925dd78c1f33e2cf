import type {
  HandlerResult,
  OutgoingFrame,
  RoomContext,
  RoomEffect,
  RoomUser,
  ScheduledMessage,
} from './defineRoom.js'
import type { RoomMember } from './RoomMember.js'
import type { RoomState } from './RoomState.js'
import {
  errorFrame,
  isThenable,
  publishControl,
  publishSequenced,
  sendFrame,
  sendToOthers,
  sendToUser,
  withReply,
} from './roomFanout.js'

/** Who a handler answers: the member whose frame it handles (none for scheduled messages and leaves). */
export interface Invocation {
  member: RoomMember | undefined
  replyTo: string | undefined
}

/** The handler's view of the room: effect methods collect effects, applied in call order after it returns. */
class Context implements RoomContext<unknown> {
  readonly state: unknown
  constructor(
    readonly s: RoomState,
    readonly user: RoomUser | null,
    readonly effects: RoomEffect[],
  ) {
    this.state = s.behaviourState
  }
  get roomId(): string {
    return this.s.roomId
  }
  get members(): string[] {
    const names = new Set<string>()
    for (const member of this.s.members.values()) names.add(member.user.name)
    return [...names]
  }
  publish(frame: OutgoingFrame): void {
    this.effects.push({ kind: 'publish', frame })
  }
  broadcast(frame: OutgoingFrame, options: { exclude?: string | readonly string[] } = {}): void {
    const ex = options.exclude
    this.effects.push({
      kind: 'broadcast',
      frame,
      exclude: ex === undefined ? [] : typeof ex === 'string' ? [ex] : ex,
    })
  }
  sendTo(user: string, frame: OutgoingFrame): void {
    this.effects.push({ kind: 'sendTo', user, frame })
  }
  reply(frame: OutgoingFrame): void {
    this.effects.push({ kind: 'reply', frame })
  }
  setState(state: unknown): void {
    this.effects.push({ kind: 'setState', state })
  }
  schedule(message: ScheduledMessage, ms: number): void {
    this.effects.push({ kind: 'schedule', message, ms })
  }
  reject(code: string, message: string): void {
    this.effects.push({ kind: 'reject', code, message })
  }
}

function applyResult(
  s: RoomState,
  result: HandlerResult<unknown>,
  effects: RoomEffect[],
  inv: Invocation,
): void {
  if (result !== undefined && result !== null) {
    if (Array.isArray(result)) effects.push(...(result as RoomEffect[]))
    else {
      const r = result as { state?: unknown; effects?: readonly RoomEffect[] }
      if ('state' in r) effects.push({ kind: 'setState', state: r.state })
      if (r.effects) effects.push(...r.effects)
    }
  }
  let changed = false
  let published = 0
  for (const e of effects) {
    switch (e.kind) {
      case 'publish':
        publishSequenced(s, e.frame, inv.member, inv.replyTo, published++)
        break
      case 'setState':
        s.behaviourState = e.state
        changed = true
        break
      case 'broadcast':
        if (e.exclude.length === 0) publishControl(s, e.frame)
        else sendToOthers(s, e.frame, e.exclude)
        break
      case 'sendTo':
        sendToUser(s, e.user, e.frame)
        break
      case 'reply':
        if (inv.member) sendFrame(s, inv.member, withReply(e.frame, inv.replyTo))
        break
      case 'reject':
        if (inv.member) sendFrame(s, inv.member, errorFrame(e.code, e.message, inv.replyTo))
        break
      case 'schedule':
        s.env.system.sendAfter(s.self, { type: 'scheduled', message: e.message }, Math.max(0, e.ms))
        break
    }
  }
  if (changed && s.behaviour.persist) saveState(s)
}

/** Saves a persisting room's state with the offset it reflects; a failed save is reported, not fatal. */
function saveState(s: RoomState): void {
  const env = s.env
  try {
    const { snapshot } = s.behaviour
    const value = snapshot ? snapshot(s.behaviourState) : s.behaviourState
    const saved = env.state.save(s.roomId, value, s.offset)
    if (isThenable(saved)) saved.then(undefined, (err: unknown) => env.observer.error?.(s.roomId, err))
  } catch (err) {
    env.observer.error?.(s.roomId, err)
  }
}

/** Runs a behaviour handler; a throw (or rejection) propagates and crashes the room, as it should. */
export function runHandler(
  s: RoomState,
  user: RoomUser | null,
  inv: Invocation,
  call: (ctx: RoomContext<unknown>) => HandlerResult<unknown> | Promise<HandlerResult<unknown>>,
): void | Promise<void> {
  const effects: RoomEffect[] = []
  const result = call(new Context(s, user, effects))
  if (isThenable(result)) {
    return (result as Promise<HandlerResult<unknown>>).then((r) => applyResult(s, r, effects, inv))
  }
  applyResult(s, result, effects, inv)
}
