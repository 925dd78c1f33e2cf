// Signing in: the remembered name, a token from the link, connecting, and the tab's session after a
// reload (same name, same rooms, private conversations back).
import { setConnState, showNotice, watchConnection } from './connection.js'
import { describeError, nameFromToken, roomNameProblem, userNameProblem } from './format.js'
import { $ } from './render.js'
import { ensureDm, joinRoom, onPrivate, openDm, refreshRoomList, renderSidebar, setView } from './roomView.js'
import { forgetSession, rememberedName, rememberName, savedSession, state } from './state.js'

const ui = {
  login: $('login'),
  loginForm: $('login-form'),
  username: $('username'),
  firstRoom: $('first-room'),
  token: $('token'),
  loginError: $('login-error'),
  loginSubmit: $('login-submit'),
  app: $('app'),
  me: $('me'),
}

function fieldError(input, text) {
  ui.loginError.textContent = text
  input.setAttribute('aria-invalid', 'true')
  input.focus()
}

/** Connects as `username` and joins `rooms` (the first must work); rejects with a reason for people. */
async function signIn(username, token, rooms) {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`
  const client = window.Hubbub.connect(url, token ? { token } : {})
  state.client = client
  state.me = username
  state.token = token
  // Before the first join: a refused token, or a server that cannot be reached, ends the attempt.
  const offs = []
  const refused = new Promise((_, reject) => {
    offs.push(client.on('auth_failed', () => reject({ code: 'UNAUTHORIZED' })))
    offs.push(
      client.on('connect_failed', (e) =>
        reject({ code: e.code === 4401 ? 'UNAUTHORIZED' : 'CONNECT_FAILED' }),
      ),
    )
  })
  refused.catch(() => {})
  // With no room to rejoin (a reload after leaving the last one), the welcome is enough.
  const first =
    rooms.length > 0 ? joinRoom(rooms[0]) : new Promise((resolve) => offs.push(client.on('open', resolve)))
  try {
    await Promise.race([first, refused])
  } catch (error) {
    client.close()
    state.client = undefined
    state.rooms.clear()
    throw error
  } finally {
    for (const off of offs) off()
  }
  watchConnection(client)
  client.on('open', () => void refreshRoomList())
  client.on('private', onPrivate)
  client.on('error', (error) => showNotice(describeError(error, { token: Boolean(token) })))
  // A closing tab says goodbye (1000), so a reload can take the same name at once.
  window.addEventListener('pagehide', () => client.close())
  for (const id of rooms.slice(1)) await joinRoom(id).catch(() => {})
}

function enterApp(view) {
  ui.me.textContent = state.me
  ui.login.hidden = true
  ui.app.hidden = false
  setConnState(state.client.state)
  const room = view?.kind === 'room' && state.rooms.has(view.id) ? view.id : state.rooms.keys().next().value
  if (view?.kind === 'dm') openDm(view.id)
  else if (room) setView('room', room)
  else setView(undefined)
  renderSidebar()
  void refreshRoomList()
  // Counts of rooms this page is not in are not pushed: ask now and then.
  setInterval(() => void refreshRoomList(), 5000)
}

async function onSubmit(event) {
  event.preventDefault()
  ui.loginError.textContent = ''
  ui.username.removeAttribute('aria-invalid')
  ui.firstRoom.removeAttribute('aria-invalid')
  const token = (ui.token?.value ?? '').trim()
  const username = token ? nameFromToken(token) : ui.username.value.trim()
  const first = ui.firstRoom.value.trim() || 'general'
  const nameProblem = token ? undefined : userNameProblem(username)
  if (nameProblem) return fieldError(ui.username, nameProblem)
  const roomProblem = roomNameProblem(first)
  if (roomProblem) return fieldError(ui.firstRoom, roomProblem)
  ui.loginSubmit.disabled = true
  ui.loginSubmit.textContent = 'Joining…'
  try {
    await signIn(username, token, [first])
  } catch (error) {
    ui.loginError.textContent = describeError(error, { token: Boolean(token) })
    ui.loginSubmit.disabled = false
    ui.loginSubmit.textContent = 'Join chat'
    return
  }
  if (!token) rememberName(username)
  enterApp({ kind: 'room', id: first })
}

/** After a reload: the same name and rooms, without the form (anonymous sessions only). */
async function resume(saved) {
  for (const [peer, entries] of saved.dms ?? []) ensureDm(peer).entries.push(...entries)
  try {
    await signIn(saved.me, '', saved.rooms ?? [])
  } catch (error) {
    forgetSession()
    state.dms.clear()
    ui.login.hidden = false
    ui.loginError.textContent = describeError(error)
    return
  }
  enterApp(saved.view)
}

export function wireLogin() {
  ui.loginForm.addEventListener('submit', (event) => void onSubmit(event))
  // A link such as /?token=…&room=… fills the form (and a token fixes the name).
  const params = new URLSearchParams(location.search)
  if (params.get('room')) ui.firstRoom.value = params.get('room')
  const token = params.get('token')
  if (token && ui.token) {
    ui.token.value = token
    const name = nameFromToken(token)
    if (name) {
      ui.username.value = name
      ui.username.readOnly = true
    }
    ui.token.closest('details')?.setAttribute('open', '')
  } else {
    ui.username.value = rememberedName()
    const saved = savedSession()
    if (saved?.me && !params.get('room')) {
      ui.login.hidden = true
      void resume(saved)
      return
    }
  }
  if (ui.username.value) ui.firstRoom.focus()
  else ui.username.focus()
}
