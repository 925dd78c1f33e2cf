import type {
  HandlerResult,
  RoomContext,
  RoomEffect,
  RoomUser,
  ScheduledMessage,
  TimerInfo,
} from './defineRoom.js'
import { EffectCollector } from './EffectCollector.js'
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
  /** The timer the call runs for. */
  timer?: TimerInfo | undefined
}

/** The handler's view of the room: effect methods collect effects, applied in call order after it returns. */
class Context extends EffectCollector implements RoomContext<unknown> {
  readonly state: unknown
  readonly timer: TimerInfo | null
  constructor(
    readonly s: RoomState,
    readonly user: RoomUser | null,
    effects: RoomEffect[],
    timer: TimerInfo | undefined,
    readonly frameId: string | undefined,
  ) {
    super(effects)
    this.state = s.behaviourState
    this.timer = timer ?? null
  }
  get roomId(): string {
    return this.s.roomId
  }
  get members(): string[] {
    const names = new Set<string>()
    for (const member of this.s.members.values()) names.add(member.user.name)
    return [...names]
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
        startTimer(s, e.message, e.ms, e.key, e.every === true)
        break
      case 'cancel':
        cancelTimer(s, e.key)
        break
    }
  }
  if (changed && s.behaviour.persist) saveState(s)
}

/**
 * Arms a room timer. A keyed one replaces the timer of that key; each gets a fresh id, so a firing
 * already in the mailbox when its timer was cancelled or replaced is recognised and ignored.
 */
function startTimer(
  s: RoomState,
  message: ScheduledMessage,
  ms: number,
  key: string | undefined,
  every: boolean,
): void {
  const delay = Math.max(every ? 1 : 0, ms)
  const due = Date.now() + delay
  if (key === undefined) {
    s.env.system.sendAfter(s.self, { type: 'scheduled', message, due }, delay)
    return
  }
  cancelTimer(s, key)
  const id = ++s.timerSeq
  const ref = s.env.system.sendAfter(s.self, { type: 'scheduled', message, due, key, id }, delay)
  s.timers.set(key, { id, ref, message, ms: delay, every, due })
}

export function cancelTimer(s: RoomState, key: string): void {
  const timer = s.timers.get(key)
  if (timer === undefined) return
  s.timers.delete(key)
  s.env.system.cancelTimer(timer.ref)
}

/**
 * A keyed timer fired: false when it was cancelled or replaced meanwhile. A one-shot timer is
 * forgotten; a repeating one is armed for its next deadline (one period after the last, skipping
 * ahead when more than a period behind), before its handler runs.
 */
export function timerFired(s: RoomState, key: string, id: number): boolean {
  const timer = s.timers.get(key)
  if (timer === undefined || timer.id !== id) return false
  if (!timer.every) {
    s.timers.delete(key)
    return true
  }
  const now = Date.now()
  let due = timer.due + timer.ms
  if (due < now - timer.ms) due = now
  timer.due = due
  timer.ref = s.env.system.sendAfter(
    s.self,
    { type: 'scheduled', message: timer.message, due, key, id },
    due - now,
  )
  return true
}

/** Saves a persisting room's state with the offset it reflects; a failed save is reported, not fatal. */
function saveState(s: RoomState): void {
  const env = s.env
  try {
    const { snapshot } = s.behaviour
    const value = snapshot ? snapshot(s.behaviourState) : s.behaviourState
    const saved = env.state.save(s.roomId, value, s.offset, s.epoch)
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
  const result = call(new Context(s, user, effects, inv.timer, inv.replyTo))
  if (isThenable(result)) {
    return (result as Promise<HandlerResult<unknown>>).then((r) => applyResult(s, r, effects, inv))
  }
  applyResult(s, result, effects, inv)
}
