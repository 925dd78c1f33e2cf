import type { OutgoingFrame, RoomEffect, ScheduledMessage, ScheduleOptions } from './defineRoom.js'

/**
 * The effect methods of a handler's context (`ctx.publish`, `ctx.broadcast`, …): each call appends
 * one effect to `effects`, and whoever ran the handler applies them in call order after it
 * returns. Shared by the room actor's context and by placement layers that run a behaviour
 * elsewhere (an owned room on its owner node), so both record effects the same way.
 */
export class EffectCollector {
  constructor(readonly effects: RoomEffect[]) {}

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
  schedule(message: ScheduledMessage, ms: number, options: ScheduleOptions = {}): void {
    this.effects.push({ kind: 'schedule', message, ms, ...options })
  }
  cancel(key: string): void {
    this.effects.push({ kind: 'cancel', key })
  }
  reject(code: string, message: string): void {
    this.effects.push({ kind: 'reject', code, message })
  }
}
