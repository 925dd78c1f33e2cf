// Connect four: every rule of the game, and the room behaviour that runs it. The wiring is in GameServer.ts.
import { protocol } from '@hubbub/protocol'
import { defineRoom, type RoomUser } from '@hubbub/rooms'
import { z } from 'zod'

export const ROWS = 6
export const COLUMNS = 7

/** 0 empty, 1 or 2 a player's disc. Row 0 is the top row. */
export type Cell = 0 | 1 | 2
export type Player = 1 | 2

export interface GameState {
  board: Cell[][]
  /** Whose turn it is (ignored once the game is over). */
  turn: Player
  /** Names of player 1 and player 2 (null: seat free). Anyone else spectates. */
  players: [string | null, string | null]
  /** 1 or 2 won, 0 a draw; null while the game goes on. */
  winner: 0 | Player | null
  /** How the game ended. */
  endedBy: 'line' | 'draw' | 'forfeit' | null
  /** Bumped by every change anyone can see: states arrive in version order. */
  version: number
}

/** Client frames (bodies) of the game. `cursor` is shared with the page's live cursors. */
export const clientMessages = {
  move: z.object({
    column: z
      .number()
      .int()
      .min(0)
      .max(COLUMNS - 1),
  }),
  rematch: z.object({}),
  cursor: z.object({ x: z.number().min(0).max(1), y: z.number().min(0).max(1) }),
}

/** Server frames (bodies) of the game: what the room sends, and what the client's `defineMessages` declares. */
export const serverMessages = {
  state: z.object({
    board: z.array(z.array(z.number().int().min(0).max(2))),
    turn: z.number().int(),
    players: z.array(z.string().nullable()),
    winner: z.number().int().nullable(),
    endedBy: z.string().nullable(),
    version: z.number().int(),
  }),
  moved: z.object({
    column: z.number().int(),
    row: z.number().int(),
    player: z.number().int(),
    version: z.number().int(),
  }),
  invalid_move: z.object({ reason: z.string() }),
  cursor: z.object({ user: z.string(), x: z.number(), y: z.number() }),
}

export type InvalidReason =
  | 'spectator'
  | 'waiting_for_opponent'
  | 'game_over'
  | 'not_your_turn'
  | 'column_full'
  | 'not_over'

export function newGame(players: [string | null, string | null] = [null, null], version = 0): GameState {
  return {
    board: Array.from({ length: ROWS }, () => Array<Cell>(COLUMNS).fill(0)),
    turn: 1,
    players,
    winner: null,
    endedBy: null,
    version,
  }
}

/** The seat of `name`: 1, 2, or undefined for a spectator. */
export function seatOf(state: GameState, name: string): Player | undefined {
  if (state.players[0] === name) return 1
  if (state.players[1] === name) return 2
  return undefined
}

/** Seats `name` in the first free seat (a player already seated keeps theirs); unchanged when both are taken. */
export function sit(state: GameState, name: string): GameState {
  if (seatOf(state, name) !== undefined) return state
  const free = state.players.indexOf(null)
  if (free < 0) return state
  const players: [string | null, string | null] = [...state.players]
  players[free] = name
  return { ...state, players, version: state.version + 1 }
}

export function canPlay(state: GameState): boolean {
  return state.winner === null && state.players[0] !== null && state.players[1] !== null
}

/** `player` drops a disc in `column`: the new state and where it landed, or why it is refused (nothing changes). */
export function move(
  state: GameState,
  name: string,
  column: number,
): { ok: true; state: GameState; row: number; player: Player } | { ok: false; reason: InvalidReason } {
  const player = seatOf(state, name)
  if (player === undefined) return { ok: false, reason: 'spectator' }
  if (state.winner !== null) return { ok: false, reason: 'game_over' }
  if (!canPlay(state)) return { ok: false, reason: 'waiting_for_opponent' }
  if (state.turn !== player) return { ok: false, reason: 'not_your_turn' }
  let row = -1
  for (let r = ROWS - 1; r >= 0; r--) {
    if (state.board[r]![column] === 0) {
      row = r
      break
    }
  }
  if (row < 0) return { ok: false, reason: 'column_full' }
  const board = state.board.map((cells, r) => (r === row ? cells.with(column, player) : cells))
  const next: GameState = { ...state, board, turn: player === 1 ? 2 : 1, version: state.version + 1 }
  if (wins(board, row, column, player)) {
    next.winner = player
    next.endedBy = 'line'
  } else if (board[0]!.every((c) => c !== 0)) {
    next.winner = 0
    next.endedBy = 'draw'
  }
  return { ok: true, state: next, row, player }
}

/** Four in a row through (row, column) for `player`. */
export function wins(board: Cell[][], row: number, column: number, player: Player): boolean {
  const at = (r: number, c: number) => (r >= 0 && r < ROWS && c >= 0 && c < COLUMNS ? board[r]![c] : 0)
  for (const [dr, dc] of [
    [0, 1],
    [1, 0],
    [1, 1],
    [1, -1],
  ] as const) {
    let n = 1
    for (let k = 1; at(row + dr * k, column + dc * k) === player; k++) n++
    for (let k = 1; at(row - dr * k, column - dc * k) === player; k++) n++
    if (n >= 4) return true
  }
  return false
}

/** The player to move ran out of time: the other one wins. */
export function forfeit(state: GameState): GameState {
  if (!canPlay(state)) return state
  return { ...state, winner: state.turn === 1 ? 2 : 1, endedBy: 'forfeit', version: state.version + 1 }
}

/** A new game once this one is over, same players with seats swapped (the other one starts). */
export function rematch(
  state: GameState,
  name: string,
): { ok: true; state: GameState } | { ok: false; reason: InvalidReason } {
  if (seatOf(state, name) === undefined) return { ok: false, reason: 'spectator' }
  if (state.winner === null) return { ok: false, reason: 'not_over' }
  return { ok: true, state: newGame([state.players[1], state.players[0]], state.version + 1) }
}

/** The `state` frame of a game. */
export function stateFrame(state: GameState) {
  const { board, turn, players, winner, endedBy, version } = state
  return { type: 'state' as const, board, turn, players, winner, endedBy, version }
}

export interface ConnectFourOptions {
  /** The player to move forfeits after this long. Default 30,000 ms. */
  turnMs?: number
  /** Live cursors per connection per second (excess dropped). Default 30. */
  cursorsPerSecond?: number
}

const nameOf = (user: RoomUser | null) => user?.name ?? ''

/**
 * The room behaviour: two players, spectators, every move checked here; a valid one is sequenced
 * through the room's log (`moved`, replayed after a crash) and the new `state` is broadcast; an
 * invalid one answers the sender alone (`invalid_move`) and changes nothing. The turn timer is a
 * keyed room timer, restarted on every move and re-armed when the room restarts.
 */
export function connectFour(options: ConnectFourOptions = {}) {
  const turnMs = options.turnMs ?? 30_000
  const turnTimer = (state: GameState) => ({ type: 'turn_timeout', version: state.version })
  return defineRoom({
    name: 'connect-four',
    messages: clientMessages,
    emits: serverMessages,
    rateLimits: { cursor: { perSecond: options.cursorsPerSecond ?? 30 } },
    persist: true,
    init: () => newGame(),
    // After a crash the restored game's turn timer starts again.
    onStart: (ctx, state) => {
      if (canPlay(state)) ctx.schedule(turnTimer(state), turnMs, { key: 'turn' })
    },
    onJoin: (ctx, state) => {
      const next = sit(state, ctx.user.name)
      if (next === state) return
      ctx.broadcast(stateFrame(next), { exclude: ctx.user.name })
      if (canPlay(next)) ctx.schedule(turnTimer(next), turnMs, { key: 'turn' })
      return { state: next }
    },
    // Every joining connection (a reconnect too) gets the whole game first.
    onSync: (ctx, state) => {
      ctx.reply(stateFrame(state))
    },
    onMessage: (ctx, msg, state) => {
      const name = nameOf(ctx.user)
      if (msg.type === 'cursor') {
        ctx.broadcast({ type: 'cursor', user: name, x: msg.x, y: msg.y }, { exclude: name })
        return
      }
      if (msg.type === 'rematch') {
        const result = rematch(state, name)
        if (!result.ok) return void ctx.reply({ type: 'invalid_move', reason: result.reason })
        ctx.broadcast(stateFrame(result.state))
        ctx.schedule(turnTimer(result.state), turnMs, { key: 'turn' })
        return { state: result.state }
      }
      const result = move(state, name, msg.column)
      if (!result.ok) {
        ctx.reply({ type: 'invalid_move', reason: result.reason })
        return
      }
      const next = result.state
      // Sequenced through the room's log: a restored room replays moves newer than its snapshot.
      ctx.publish({
        type: 'moved',
        column: msg.column,
        row: result.row,
        player: result.player,
        version: next.version,
      })
      ctx.broadcast(stateFrame(next))
      if (canPlay(next)) ctx.schedule(turnTimer(next), turnMs, { key: 'turn' })
      else ctx.cancel('turn')
      return { state: next }
    },
    onTimer: (ctx, msg, state) => {
      if (msg.type !== 'turn_timeout' || msg.version !== state.version) return
      const next = forfeit(state)
      if (next === state) return
      ctx.broadcast(stateFrame(next))
      return { state: next }
    },
    // A move sequenced after the last saved snapshot is applied again on restore.
    replay: (state, frame) => {
      if (frame.type !== 'moved' || (frame.version as number) <= state.version) return state
      const name = state.players[(frame.player as number) - 1]
      const result = name ? move(state, name, frame.column as number) : undefined
      return result?.ok ? result.state : state
    },
  })
}

/**
 * The game's frames for `@hubbub/client` (`connect(url, { messages: gameMessages })`): the same shapes
 * the room declares (`messages`, `emits`), plus the `roomId` every client frame to a room carries.
 */
export const gameMessages = protocol.defineMessages(
  {
    move: clientMessages.move.extend({ roomId: z.string() }),
    rematch: clientMessages.rematch.extend({ roomId: z.string() }),
    cursor: clientMessages.cursor.extend({ roomId: z.string() }),
  },
  serverMessages,
)
