// Connect four: draws the room's `state` frames; clicks, or arrow keys plus Enter, send `move`.
// The room decides everything: the page only shows what it says (and `invalid_move`, sent to us alone).
import { liveCursors } from './cursors.js'

const ROWS = 6
const COLUMNS = 7
const COLOUR = { 1: 'red', 2: 'yellow' }
const REASONS = {
  spectator: 'You are watching: only the two players can move.',
  waiting_for_opponent: 'Wait for an opponent to join.',
  game_over: 'The game is over.',
  not_your_turn: 'It is not your turn.',
  column_full: 'That column is full.',
  not_over: 'The game is not over yet.',
}

export function connectFourView({ client, roomId, me, root }) {
  const $ = (id) => root.querySelector(`#${id}`)
  const board = $('board')
  const status = $('c4-status')
  const error = $('c4-error')
  const rematch = $('rematch')
  let state
  let last
  let selected = 3
  let errorTimer

  const columns = Array.from({ length: COLUMNS }, (_, c) => {
    const col = document.createElement('button')
    col.type = 'button'
    col.className = 'col'
    col.dataset.column = String(c)
    col.tabIndex = c === selected ? 0 : -1
    for (let r = 0; r < ROWS; r++) {
      const cell = document.createElement('span')
      cell.className = 'cell'
      cell.dataset.v = '0'
      col.append(cell)
    }
    col.addEventListener('click', () => {
      select(c)
      client.send({ type: 'move', roomId, column: c })
    })
    return col
  })
  board.replaceChildren(...columns)

  function select(c, focus = false) {
    selected = (c + COLUMNS) % COLUMNS
    columns.forEach((col, i) => {
      col.tabIndex = i === selected ? 0 : -1
      col.classList.toggle('selected', i === selected)
    })
    if (focus) columns[selected].focus()
  }
  const onKey = (event) => {
    const to = { ArrowLeft: selected - 1, ArrowRight: selected + 1, Home: 0, End: COLUMNS - 1 }[event.key]
    if (to === undefined) return
    event.preventDefault()
    select(to, true)
  }
  board.addEventListener('keydown', onKey)

  const seat = () => (state ? state.players.indexOf(me) + 1 : 0)
  const who = (p) => (state.players[p - 1] === me ? 'You' : (state.players[p - 1] ?? `Player ${p}`))

  function render() {
    const [p1, p2] = state.players
    $('c4-players').innerHTML = ''
    const line = (p, name) => {
      const span = document.createElement('span')
      span.className = `p${p}`
      span.textContent = `● ${name ?? 'waiting…'}${name === me ? ' (you)' : ''}`
      return span
    }
    $('c4-players').append(line(1, p1), ' vs ', line(2, p2), seat() ? '' : ' · you are watching')
    columns.forEach((col, c) => {
      let free = 0
      col.querySelectorAll('.cell').forEach((cell, r) => {
        const v = state.board[r][c]
        cell.dataset.v = String(v)
        cell.classList.toggle('last', last?.row === r && last?.column === c)
        if (v === 0) free++
      })
      col.setAttribute('aria-label', `Column ${c + 1}: ${free === 0 ? 'full' : `${free} free`}`)
    })
    let text
    if (state.winner === 0) text = 'A draw: the board is full.'
    else if (state.winner) {
      const loser = state.winner === 1 ? 2 : 1
      const won = `${who(state.winner)} ${who(state.winner) === 'You' ? 'win' : 'wins'}`
      text = state.endedBy === 'forfeit' ? `${who(loser)} ran out of time: ${won}!` : `${won}!`
    } else if (!p1 || !p2) text = 'Waiting for an opponent…'
    else if (state.turn === seat()) text = `Your turn (${COLOUR[state.turn]}).`
    else text = `${who(state.turn)}'s turn (${COLOUR[state.turn]}).`
    status.textContent = text
    status.dataset.winner = state.winner === null ? '' : String(state.winner)
    rematch.hidden = !(state.winner !== null && seat())
  }

  const onRematch = () => client.send({ type: 'rematch', roomId })
  rematch.addEventListener('click', onRematch)
  const cursors = liveCursors({ client, roomId, stage: board.parentElement })

  return {
    onFrame(frame) {
      if (frame.type === 'state') {
        // The room sends states in version order: each one replaces the last.
        if (frame.board.every((row) => row.every((v) => v === 0))) last = undefined
        state = frame
        error.textContent = ''
        render()
      } else if (frame.type === 'moved') {
        last = frame
        if (state) render()
      } else if (frame.type === 'invalid_move') {
        error.textContent = REASONS[frame.reason] ?? `Move refused: ${frame.reason}`
        error.dataset.reason = frame.reason
        error.dataset.count = String(Number(error.dataset.count ?? 0) + 1)
        clearTimeout(errorTimer)
        errorTimer = setTimeout(() => {
          error.textContent = ''
        }, 4000)
      } else if (frame.type === 'cursor') cursors.show(frame)
    },
    focus() {
      select(selected, true)
    },
    close() {
      board.removeEventListener('keydown', onKey)
      rematch.removeEventListener('click', onRematch)
      cursors.close()
      clearTimeout(errorTimer)
      board.replaceChildren()
      status.textContent = ''
      error.textContent = ''
      rematch.hidden = true
    },
  }
}
