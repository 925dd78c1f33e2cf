// The game page: a lobby (your name, open games, a new game), then one game at a time, in plain ES
// modules on top of the Hubbub client's browser bundle (/hubbub-client.js). The games' views are in
// js/connectFour.js and js/arena.js; live cursors in js/cursors.js.
import { connect } from '/hubbub-client.js'
import { arenaView } from './js/arena.js'
import { connectFourView } from './js/connectFour.js'

const $ = (id) => document.getElementById(id)
const KINDS = { c4: 'Connect four', arena: 'Arena' }
const kindOf = (roomId) => roomId.slice(0, roomId.indexOf(':'))

const client = connect(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`, {
  customTypes: ['state', 'moved', 'invalid_move', 'cursor', 'arena', 'delta'],
  // The rooms limit these types on their own; the client keeps only the newest cursor and input
  // waiting when the page produces more than 20 a second.
  typeRates: { cursor: 20, input: 20 },
})
window.hubbubClient = client

const STATES = {
  connecting: 'Connecting…',
  open: 'Connected',
  reconnecting: 'Reconnecting…',
  closed: 'Disconnected',
}
client.on('state', (s) => {
  $('conn').dataset.state = s
  $('conn').textContent = STATES[s] ?? s
  if (s === 'open' && !current) void refreshRooms()
})

/** The game on screen: its room, and the view that draws its frames. */
let current
client.on('custom', (frame) => current?.view.onFrame(frame))

const nameInput = $('name')
nameInput.value = localStorage.getItem('hubbub-games-name') ?? ''
nameInput.addEventListener('input', () => {
  $('name-error').textContent = ''
  nameInput.removeAttribute('aria-invalid')
})

function myName() {
  const name = nameInput.value.trim()
  if (!name) {
    $('name-error').textContent = 'Pick a name first.'
    nameInput.setAttribute('aria-invalid', 'true')
    nameInput.focus()
    return undefined
  }
  localStorage.setItem('hubbub-games-name', name)
  return name
}

async function refreshRooms() {
  if (client.state !== 'open') return
  let rooms
  try {
    rooms = await client.listRooms()
  } catch {
    return
  }
  const games = rooms.filter((r) => kindOf(r.id) in KINDS).sort((a, b) => a.id.localeCompare(b.id))
  const list = $('rooms')
  list.replaceChildren(
    ...games.map((r) => {
      const li = document.createElement('li')
      const button = document.createElement('button')
      button.type = 'button'
      button.dataset.room = r.id
      const label = document.createElement('span')
      label.textContent = `${KINDS[kindOf(r.id)]}: ${r.id.slice(r.id.indexOf(':') + 1)}`
      const count = document.createElement('span')
      count.className = 'muted'
      count.textContent = `${r.userCount} ${r.userCount === 1 ? 'player' : 'players'}`
      button.append(label, count)
      button.setAttribute('aria-label', `Join ${label.textContent}, ${count.textContent}`)
      button.addEventListener('click', () => void openGame(r.id))
      li.append(button)
      return li
    }),
  )
  $('no-rooms').hidden = games.length > 0
}
setInterval(() => {
  if (!current && !document.hidden) void refreshRooms()
}, 3000)
$('refresh').addEventListener('click', () => void refreshRooms())

$('create').addEventListener('submit', (event) => {
  event.preventDefault()
  const name = $('room').value.trim().replace(/\s+/g, '-')
  if (!name) return $('room').focus()
  void openGame(`${$('kind').value}:${name}`)
})

async function openGame(roomId) {
  const me = myName()
  if (!me || current) return
  const kind = kindOf(roomId)
  const section = $(kind)
  const view = (kind === 'c4' ? connectFourView : arenaView)({ client, roomId, me, root: section })
  current = { roomId, view, room: undefined }
  $('lobby').hidden = true
  $('game').hidden = false
  $('c4').hidden = kind !== 'c4'
  $('arena').hidden = kind !== 'arena'
  $('game-title').textContent = `${KINDS[kind]}: ${roomId.slice(kind.length + 1)}`
  $('me').textContent = `as ${me}`
  document.title = `${$('game-title').textContent} · Hubbub Games`
  try {
    current.room = await client.join(roomId, { username: me })
    view.focus()
  } catch (err) {
    await closeGame()
    $('name-error').textContent = `Could not join ${roomId}: ${err.message}`
  }
}

async function closeGame() {
  const game = current
  if (!game) return
  current = undefined
  game.view.close()
  $('game').hidden = true
  $('lobby').hidden = false
  document.title = 'Hubbub Games'
  await game.room?.leave().catch(() => {})
  void refreshRooms()
}
$('back').addEventListener('click', () => void closeGame())
