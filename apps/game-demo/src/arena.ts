// The real-time arena (tag): every rule, and the room behaviour that runs it at a fixed tick.
import { defineRoom } from '@hubbub/rooms'
import { z } from 'zod'

export const SIZE = 32
/** One player as the wire carries it: `[name, x, y, it]` (1 when it is "it"). */
export type PlayerRow = [name: string, x: number, y: number, it: 0 | 1]

export interface ArenaPlayer {
  x: number
  y: number
  /** The latest input: the direction it moves each tick. */
  dx: number
  dy: number
}

export interface ArenaState {
  tick: number
  players: Record<string, ArenaPlayer>
  /** Who is "it" (tags whoever it touches); null while the arena is empty. */
  it: string | null
  /** Players who left since the last tick (sent in the next delta). */
  gone: string[]
  /** Players who came since the last tick (their rows go out in the next delta, moved or not). */
  came: string[]
  /**
   * After a restart (a crash), the players of the restored arena until they rejoin: each takes its
   * place back (position and direction) when it joins again; the rest are forgotten at `parkedUntil`.
   */
  parked: Record<string, ArenaPlayer>
  /** The tick at which players still parked are forgotten. */
  parkedUntil: number
}

export const arenaClientMessages = {
  input: z.object({ dx: z.number().int().min(-1).max(1), dy: z.number().int().min(-1).max(1) }),
  cursor: z.object({ x: z.number().min(0).max(1), y: z.number().min(0).max(1) }),
}

const row = z.tuple([z.string(), z.number(), z.number(), z.number()])
export const arenaServerMessages = {
  /** The whole arena: what a joining connection gets first. */
  arena: z.object({ tick: z.number(), players: z.array(row) }),
  /** What changed in one tick: moved or tagged players, and who left. */
  delta: z.object({ tick: z.number(), players: z.array(row), gone: z.array(z.string()) }),
  cursor: z.object({ user: z.string(), x: z.number(), y: z.number() }),
}

export const emptyArena = (): ArenaState => ({
  tick: 0,
  players: {},
  it: null,
  gone: [],
  came: [],
  parked: {},
  parkedUntil: 0,
})

/**
 * A new player in a free-ish spot (spread by name), or a parked one back where it was; the first one
 * is "it" (unless "it" is parked and may still come back).
 */
export function enter(state: ArenaState, name: string): ArenaState {
  if (state.players[name]) return state
  const { [name]: back, ...parked } = state.parked
  let h = 0
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0
  const players = { ...state.players, [name]: back ?? { x: h % SIZE, y: (h >>> 8) % SIZE, dx: 0, dy: 0 } }
  const it = state.it
  return {
    ...state,
    players,
    parked,
    it: it !== null && (players[it] !== undefined || parked[it] !== undefined) ? it : name,
    gone: state.gone.filter((g) => g !== name),
    came: [...state.came, name],
  }
}

/**
 * A restored arena (after a crash): nobody is in it until they rejoin, so everyone is parked where
 * they were for `ticks` ticks; "it" stays with its player.
 */
export function park(saved: ArenaState, ticks: number): ArenaState {
  return {
    ...saved,
    players: {},
    parked: { ...saved.parked, ...saved.players },
    parkedUntil: saved.tick + ticks,
    gone: [],
    came: [],
  }
}

export function leave(state: ArenaState, name: string): ArenaState {
  if (!state.players[name]) return state
  const { [name]: _, ...players } = state.players
  const it = state.it === name ? (Object.keys(players)[0] ?? null) : state.it
  return { ...state, players, it, gone: [...state.gone, name], came: state.came.filter((c) => c !== name) }
}

export function steer(state: ArenaState, name: string, dx: number, dy: number): ArenaState {
  const p = state.players[name]
  if (!p || (p.dx === dx && p.dy === dy)) return state
  return { ...state, players: { ...state.players, [name]: { ...p, dx, dy } } }
}

const clamp = (v: number) => Math.max(0, Math.min(SIZE - 1, v))

/**
 * One tick: everyone moves one cell along their input (walls stop them), then "it" tags the first
 * other player on its cell (who becomes "it"). Returns the new state and the rows that changed
 * (newcomers' rows too, so everyone already there sees them before they move).
 */
export function step(state: ArenaState): { state: ArenaState; changed: PlayerRow[]; gone: string[] } {
  const players: Record<string, ArenaPlayer> = {}
  const moved = new Set<string>(state.came.filter((name) => state.players[name] !== undefined))
  let it = state.it
  let parked = state.parked
  // Parked players who did not come back in time are forgotten; "it" passes on if it was one of them.
  if (state.tick + 1 >= state.parkedUntil && Object.keys(parked).length > 0) {
    parked = {}
    if (it !== null && state.players[it] === undefined) {
      it = Object.keys(state.players)[0] ?? null
      if (it !== null) moved.add(it)
    }
  }
  for (const [name, p] of Object.entries(state.players)) {
    const x = clamp(p.x + p.dx)
    const y = clamp(p.y + p.dy)
    if (x !== p.x || y !== p.y) moved.add(name)
    players[name] = x === p.x && y === p.y ? p : { ...p, x, y }
  }
  const chaser = it === null ? undefined : players[it]
  if (it !== null && chaser !== undefined) {
    for (const [name, p] of Object.entries(players)) {
      if (name !== it && p.x === chaser.x && p.y === chaser.y) {
        moved.add(it)
        moved.add(name)
        it = name
        break
      }
    }
  }
  const next: ArenaState = {
    tick: state.tick + 1,
    players,
    it,
    gone: [],
    came: [],
    parked,
    parkedUntil: state.parkedUntil,
  }
  const changed = [...moved].map((name) => rowOf(next, name))
  return { state: next, changed, gone: state.gone }
}

export function rowOf(state: ArenaState, name: string): PlayerRow {
  const p = state.players[name]!
  return [name, p.x, p.y, state.it === name ? 1 : 0]
}

export interface ArenaOptions {
  /** Ticks per second. Default 20. */
  hz?: number
  /** Inputs per connection per second; excess is dropped and counted. Default 30. */
  inputsPerSecond?: number
  /** Cursor positions per connection per second. Default 30. */
  cursorsPerSecond?: number
  /** Called after each tick (its simulation and its broadcast): for benchmarks. */
  onTick?: (tick: ArenaTick) => void
  /** After a crash, how long (ms) a player of the restored arena keeps its place for its rejoin. Default 10,000. */
  rejoinMs?: number
}

/** One tick as `onTick` sees it. */
export interface ArenaTick {
  roomId: string
  tick: number
  /** How late the tick timer fired (ms, whole). */
  lateMs: number
  /** How long the simulation and the broadcast of the delta took (ms). */
  tookMs: number
  /** When the tick started, as `performance.timeOrigin + performance.now()` (ms since the epoch). */
  startedAt: number
  /** Whether a delta went out. */
  sent: boolean
}

/**
 * The arena behaviour: inputs only steer (the room moves players at its own tick); each tick
 * broadcasts one compact delta, encoded once for every member (JSON, or msgpack for members on
 * that wire); a joining connection gets the whole arena first. The arena is kept in the server's
 * `RoomStateStore` after every tick, so a crashed room comes back with everyone where they were
 * (parked until they rejoin, which the client does by itself) and the tick count going on.
 */
export function arena(options: ArenaOptions = {}) {
  const everyMs = Math.round(1000 / (options.hz ?? 20))
  const rejoinTicks = Math.max(1, Math.ceil((options.rejoinMs ?? 10_000) / everyMs))
  const onTick = options.onTick
  return defineRoom({
    name: 'arena',
    messages: arenaClientMessages,
    emits: arenaServerMessages,
    rateLimits: {
      input: { perSecond: options.inputsPerSecond ?? 30 },
      cursor: { perSecond: options.cursorsPerSecond ?? 30 },
    },
    init: emptyArena,
    persist: true,
    restore: (saved) => park(saved as ArenaState, rejoinTicks),
    onStart: (ctx) => ctx.schedule({ type: 'tick' }, everyMs, { key: 'tick', every: true }),
    onJoin: (ctx, state) => ({ state: enter(state, ctx.user.name) }),
    onSync: (ctx, state) => {
      const players = Object.keys(state.players).map((name) => rowOf(state, name))
      ctx.reply({ type: 'arena', tick: state.tick, players })
    },
    onLeave: (ctx, state) => ({ state: leave(state, ctx.user.name) }),
    onMessage: (ctx, msg, state) => {
      const name = ctx.user?.name ?? ''
      if (msg.type === 'cursor') {
        ctx.broadcast({ type: 'cursor', user: name, x: msg.x, y: msg.y }, { exclude: name })
        return
      }
      const next = steer(state, name, msg.dx, msg.dy)
      return next === state ? undefined : { state: next }
    },
    onTimer: (ctx, _msg, state) => {
      const started = performance.now()
      const { state: next, changed, gone } = step(state)
      const sent = changed.length > 0 || gone.length > 0
      if (sent) ctx.broadcast({ type: 'delta', tick: next.tick, players: changed, gone })
      if (onTick) {
        const { roomId } = ctx
        const lateMs = ctx.timer?.lateMs ?? 0
        // The room applies the broadcast synchronously once this handler returns: a microtask runs after it.
        queueMicrotask(() =>
          onTick({
            roomId,
            tick: next.tick,
            lateMs,
            tookMs: performance.now() - started,
            startedAt: performance.timeOrigin + started,
            sent,
          }),
        )
      }
      return { state: next }
    },
  })
}
