// The chat page: plain DOM on top of the Hubbub client (window.Hubbub from /hubbub-client.iife.js).
// Every piece of user text reaches the page through textContent, never as HTML.

const $ = (id) => document.getElementById(id)

/** Creates an element with a class and (text-only) content. */
function el(tag, className, text) {
  const node = document.createElement(tag)
  if (className) node.className = className
  if (text !== undefined) node.textContent = text
  return node
}

const ui = {
  login: $('login'),
  loginForm: $('login-form'),
  username: $('username'),
  firstRoom: $('first-room'),
  token: $('token'),
  loginError: $('login-error'),
  loginSubmit: document.querySelector('[data-testid="login-submit"]'),
  app: $('app'),
  sidebar: $('sidebar'),
  rooms: $('rooms'),
  dms: $('dms'),
  newRoomForm: $('new-room-form'),
  newRoom: $('new-room'),
  me: $('me'),
  roomName: $('room-name'),
  roomSub: $('room-sub'),
  connState: $('conn-state'),
  notice: $('notice'),
  messages: $('messages'),
  typing: $('typing'),
  composer: $('composer'),
  message: $('message'),
  membersPanel: $('members-panel'),
  members: $('members'),
  memberCount: $('member-count'),
  memberCountNarrow: $('member-count-narrow'),
  membersRoom: $('members-room'),
  toggleSidebar: $('toggle-sidebar'),
  toggleMembers: $('toggle-members'),
  leave: $('leave-room'),
}

const ROOM_ID = /^[A-Za-z0-9_.:-]{1,64}$/
const TYPING_TTL_MS = 6000
const STATE_LABEL = {
  connecting: 'Connecting…',
  open: 'Connected',
  reconnecting: 'Reconnecting…',
  closed: 'Disconnected',
}

const state = {
  client: undefined,
  me: '',
  /** roomId → { room, entries, unread, typing: Map<user, timer>, lostAt } */
  rooms: new Map(),
  /** roomId → member count, from list_rooms (rooms this page has not joined) */
  counts: new Map(),
  /** peer → { entries, unread } */
  dms: new Map(),
  /** { kind: 'room' | 'dm', id } */
  view: undefined,
  /** the room whose members the members panel shows while a DM is open */
  lastRoom: undefined,
  noticeTimer: undefined,
  typingIdle: undefined,
  pollTimer: undefined,
}

// ------------------------------------------------------------------ formatting

function formatTime(ms) {
  const d = new Date(ms)
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
  if (d.toDateString() === new Date().toDateString()) return time
  return `${d.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${time}`
}

/** A stable, readable colour per name, so a conversation can be followed at a glance. */
function nameColor(name) {
  let h = 0
  for (const ch of name) h = (h * 31 + ch.codePointAt(0)) % 360
  return `hsl(${h} 70% 72%)`
}

/** The display name inside a token (JWT `name`, else `sub`), so the page knows who it is before joining. */
function nameFromToken(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')
    const claims = JSON.parse(atob(part))
    return String(claims.name ?? claims.sub ?? '')
  } catch {
    return ''
  }
}

function describeError(error) {
  switch (error?.code) {
    case 'USERNAME_TAKEN':
      return 'That name is already taken in this room. Pick another one.'
    case 'INVALID_USERNAME':
      return 'Names are 1–32 characters, without control characters.'
    case 'FORBIDDEN':
      return 'You are not allowed in that room.'
    case 'ROOM_LIMIT':
      return 'You are in too many rooms; leave one first.'
    case 'RATE_LIMITED':
      return 'Slow down: too many messages at once.'
    case 'SERVER_SHUTDOWN':
      return 'The server is restarting; reconnecting as soon as it is back.'
    case 'USER_NOT_FOUND':
      return 'That user is not online.'
    case 'UNAUTHORIZED':
    case 'CLOSED':
    case 'CONNECT_FAILED':
      return state.token
        ? 'The server refused the connection: the token is invalid or expired.'
        : 'The server refused the connection. Does it require an access token?'
    default:
      return error?.message ?? String(error)
  }
}

// ------------------------------------------------------------------ notices and connection state

function showNotice(text, { sticky = false, tone = 'warn' } = {}) {
  clearTimeout(state.noticeTimer)
  ui.notice.textContent = text
  ui.notice.dataset.tone = tone
  ui.notice.hidden = false
  if (!sticky) state.noticeTimer = setTimeout(() => (ui.notice.hidden = true), 5000)
}

function setConnState(connState) {
  ui.connState.dataset.state = connState
  ui.connState.textContent = STATE_LABEL[connState] ?? connState
  const id = state.client?.welcome?.connectionId
  if (id) {
    ui.connState.dataset.connectionId = id
    ui.connState.title = `Connection ${id}`
  }
  ui.composer.classList.toggle('offline', connState !== 'open')
}

// ------------------------------------------------------------------ rendering

function currentEntries() {
  const v = state.view
  if (!v) return []
  return v.kind === 'room' ? (state.rooms.get(v.id)?.entries ?? []) : (state.dms.get(v.id)?.entries ?? [])
}

function isViewing(kind, id) {
  return state.view?.kind === kind && state.view.id === id
}

/** A message right after another of the same sender (within 3 minutes) drops its repeated name and time. */
function continues(entry, prev) {
  return (
    prev !== undefined &&
    prev.kind === entry.kind &&
    entry.kind !== 'system' &&
    prev.from === entry.from &&
    entry.timestamp - prev.timestamp < 180_000
  )
}

function renderEntry(entry, prev) {
  if (entry.kind === 'system') {
    const li = el('li', 'msg system', entry.text)
    li.dataset.kind = 'system'
    return li
  }
  const classes = ['msg']
  if (entry.from === state.me) classes.push('mine')
  if (entry.kind === 'private') classes.push('private')
  if (entry.history) classes.push('history')
  if (continues(entry, prev)) classes.push('cont')
  const li = el('li', classes.join(' '))
  li.dataset.testid = 'message'
  if (entry.offset !== undefined) li.dataset.offset = String(entry.offset)
  li.title = new Date(entry.timestamp).toLocaleString()
  const meta = el('div', 'meta')
  const from = el('span', 'from', entry.from)
  from.style.color = nameColor(entry.from)
  meta.append(from)
  const time = el('time', 'time', formatTime(entry.timestamp))
  time.dateTime = new Date(entry.timestamp).toISOString()
  meta.append(time)
  if (entry.recovered) meta.append(el('span', 'tag', 'recovered'))
  li.append(meta, el('div', 'text', entry.text))
  entry.node = li
  return li
}

function nearBottom() {
  const m = ui.messages
  return m.scrollHeight - m.scrollTop - m.clientHeight < 80
}

function renderMessages() {
  const entries = currentEntries()
  ui.messages.replaceChildren(...entries.map((entry, i) => renderEntry(entry, entries[i - 1])))
  if (entries.length === 0) {
    const empty = el(
      'li',
      'msg system empty',
      state.view?.kind === 'dm' ? 'No messages yet. Say hi!' : 'No messages yet.',
    )
    ui.messages.append(empty)
  }
  ui.messages.scrollTop = ui.messages.scrollHeight
}

function appendEntry(kind, id, entry) {
  const target = kind === 'room' ? state.rooms.get(id) : state.dms.get(id)
  if (!target) return
  target.entries.push(entry)
  if (target.entries.length > 500) target.entries.splice(0, target.entries.length - 500)
  if (isViewing(kind, id)) {
    const stick = nearBottom() || entry.from === state.me
    ui.messages.querySelector('.empty')?.remove()
    ui.messages.append(renderEntry(entry, target.entries[target.entries.length - 2]))
    if (stick) ui.messages.scrollTop = ui.messages.scrollHeight
  } else if (entry.kind !== 'system') {
    target.unread++
    renderSidebar()
  }
}

function roomCount(id) {
  const joined = state.rooms.get(id)
  return joined ? joined.room.count : (state.counts.get(id) ?? 0)
}

function sidebarItem(label, { current, count, unread, testid, onClick, joined }) {
  const li = el('li')
  const button = el('button')
  button.type = 'button'
  button.dataset.testid = testid
  if (current) button.setAttribute('aria-current', 'true')
  if (joined === false) button.classList.add('not-joined')
  button.append(el('span', 'name', label))
  const badges = el('span', 'badges')
  if (unread > 0) badges.append(el('span', 'count unread', String(unread)))
  if (count !== undefined) {
    const c = el('span', 'count', String(count))
    c.title = `${count} online`
    c.dataset.testid = 'room-count'
    badges.append(c)
  }
  button.append(badges)
  button.addEventListener('click', onClick)
  li.append(button)
  return li
}

function renderSidebar() {
  const ids = new Set([...state.rooms.keys(), ...state.counts.keys()])
  const sorted = [...ids].sort((a, b) => {
    const ja = state.rooms.has(a) ? 0 : 1
    const jb = state.rooms.has(b) ? 0 : 1
    return ja - jb || a.localeCompare(b)
  })
  ui.rooms.replaceChildren(
    ...sorted.map((id) => {
      const item = sidebarItem(`# ${id}`, {
        current: isViewing('room', id),
        count: roomCount(id),
        unread: state.rooms.get(id)?.unread ?? 0,
        testid: `room-${id}`,
        joined: state.rooms.has(id),
        onClick: () => openRoom(id),
      })
      item.firstChild.dataset.room = id
      return item
    }),
  )
  const peers = [...state.dms.keys()].sort((a, b) => a.localeCompare(b))
  ui.dms.replaceChildren(
    ...(peers.length === 0
      ? [el('li', 'muted small hint', 'Click a member to message them privately.')]
      : peers.map((peer) =>
          sidebarItem(`@ ${peer}`, {
            current: isViewing('dm', peer),
            unread: state.dms.get(peer).unread,
            testid: `dm-${peer}`,
            onClick: () => openDm(peer),
          }),
        )),
  )
}

function renderMembers() {
  const roomId = state.view?.kind === 'room' ? state.view.id : state.lastRoom
  const joined = roomId ? state.rooms.get(roomId) : undefined
  const users = joined ? [...joined.room.users].sort((a, b) => a.localeCompare(b)) : []
  ui.memberCount.textContent = String(joined ? joined.room.count : 0)
  ui.memberCountNarrow.textContent = ui.memberCount.textContent
  ui.membersRoom.textContent = roomId ? `#${roomId}` : ''
  ui.members.replaceChildren(
    ...users.map((user) => {
      const li = el('li')
      const button = el('button')
      button.type = 'button'
      button.dataset.testid = 'member'
      button.dataset.user = user
      const name = el('span', 'member-name')
      name.append(el('span', 'dot'), el('span', 'member-label', user))
      button.append(name)
      if (user === state.me) {
        button.append(el('span', 'you', 'you'))
        button.disabled = true
      } else {
        button.title = `Message ${user} privately`
        button.addEventListener('click', () => openDm(user))
      }
      li.append(button)
      return li
    }),
  )
}

function renderTyping() {
  const joined = state.view?.kind === 'room' ? state.rooms.get(state.view.id) : undefined
  const names = joined ? [...joined.typing.keys()] : []
  let text = ''
  if (names.length === 1) text = `${names[0]} is typing…`
  else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`
  else if (names.length > 2) text = 'Several people are typing…'
  ui.typing.textContent = text
}

function renderHeader() {
  const v = state.view
  if (!v) return
  ui.roomName.textContent = v.id
  ui.roomName.classList.toggle('dm', v.kind === 'dm')
  if (v.kind === 'room') {
    const n = roomCount(v.id)
    ui.roomSub.textContent = `${n} ${n === 1 ? 'member' : 'members'}`
    ui.message.placeholder = `Message #${v.id}`
  } else {
    ui.roomSub.textContent = 'private conversation'
    ui.message.placeholder = `Message @${v.id}`
  }
  ui.leave.hidden = v.kind !== 'room'
  document.title = `${v.kind === 'room' ? '#' : '@'}${v.id} · Hubbub Chat`
}

function renderAll() {
  renderHeader()
  renderSidebar()
  renderMembers()
  renderTyping()
  renderMessages()
}

// ------------------------------------------------------------------ rooms

function clearTyping(joined, user) {
  const timer = joined.typing.get(user)
  if (timer === undefined) return
  clearTimeout(timer)
  joined.typing.delete(user)
}

function attachRoom(room) {
  const id = room.id
  const joined = { room, entries: [], unread: 0, typing: new Map(), lostAt: undefined }
  for (const m of room.backlog) {
    joined.entries.push({
      kind: 'message',
      from: m.from,
      text: m.text,
      timestamp: m.timestamp,
      offset: m.offset,
      history: true,
    })
  }
  state.rooms.set(id, joined)
  const refreshPresence = () => {
    if (isViewing('room', id) || state.lastRoom === id) renderMembers()
    renderSidebar()
    if (isViewing('room', id)) renderHeader()
  }

  room.on('message', (m) => {
    clearTyping(joined, m.from)
    if (isViewing('room', id)) renderTyping()
    appendEntry('room', id, {
      kind: 'message',
      from: m.from,
      text: m.text,
      timestamp: m.timestamp,
      offset: m.offset,
    })
  })
  room.on('users', refreshPresence)
  room.on('user_joined', (e) => {
    appendEntry('room', id, { kind: 'system', text: `${e.username} joined` })
    refreshPresence()
  })
  room.on('user_left', (e) => {
    clearTyping(joined, e.username)
    if (isViewing('room', id)) renderTyping()
    appendEntry('room', id, { kind: 'system', text: `${e.username} left` })
    refreshPresence()
  })
  room.on('presence_count', refreshPresence)
  room.on('typing', (e) => {
    if (e.username === state.me) return
    clearTyping(joined, e.username)
    if (e.isTyping) {
      joined.typing.set(
        e.username,
        setTimeout(() => {
          joined.typing.delete(e.username)
          if (isViewing('room', id)) renderTyping()
        }, TYPING_TTL_MS),
      )
    }
    if (isViewing('room', id)) renderTyping()
  })
  // After a reconnect: the messages missed during the outage arrive (as `message` events) before this frame.
  room.on('history', (h) => {
    const since = joined.lostAt ?? 0
    const recovered = h.messages.filter((m) => m.offset > since)
    for (const entry of joined.entries) {
      if (
        entry.offset !== undefined &&
        entry.offset > since &&
        recovered.some((m) => m.offset === entry.offset)
      ) {
        entry.recovered = true
        if (entry.node) entry.node.querySelector('.meta')?.append(el('span', 'tag', 'recovered'))
      }
    }
    joined.lostAt = undefined
    if (recovered.length > 0) {
      const n = recovered.length
      showNotice(`Back online: ${n} missed ${n === 1 ? 'message' : 'messages'} recovered in #${id}.`, {
        tone: 'ok',
      })
    }
  })
  room.on('gap', (gap) => {
    const n = gap.to >= gap.from ? gap.to - gap.from + 1 : 0
    const text =
      n > 0
        ? `${n} ${n === 1 ? 'message' : 'messages'} from while you were away could not be recovered.`
        : 'The room restarted; earlier messages are no longer available.'
    appendEntry('room', id, { kind: 'system', text })
  })
  room.on('error', (error) => {
    state.rooms.delete(id)
    showNotice(`Left #${id}: ${describeError(error)}`)
    if (isViewing('room', id)) switchToAnyRoom()
    else renderSidebar()
  })
  return joined
}

async function joinRoom(id) {
  const client = state.client
  const room = await client.join(id, state.token ? {} : { username: state.me })
  return state.rooms.get(id) ?? attachRoom(room)
}

function setView(kind, id) {
  stopTyping()
  state.view = { kind, id }
  if (kind === 'room') {
    state.lastRoom = id
    const joined = state.rooms.get(id)
    if (joined) joined.unread = 0
  } else {
    const dm = state.dms.get(id)
    if (dm) dm.unread = 0
  }
  ui.sidebar.classList.remove('open')
  ui.membersPanel.classList.remove('open')
  renderAll()
  if (window.matchMedia('(min-width: 821px)').matches) ui.message.focus()
}

async function openRoom(id) {
  if (!ROOM_ID.test(id)) {
    showNotice('Room names are 1–64 letters, digits or _ . : -')
    return
  }
  if (!state.rooms.has(id)) {
    try {
      await joinRoom(id)
    } catch (error) {
      showNotice(`Could not join #${id}: ${describeError(error)}`)
      return
    }
    void refreshRoomList()
  }
  setView('room', id)
}

function openDm(peer) {
  if (peer === state.me) return
  if (!state.dms.has(peer)) state.dms.set(peer, { entries: [], unread: 0 })
  setView('dm', peer)
}

function switchToAnyRoom() {
  const next = state.rooms.keys().next().value
  if (next) setView('room', next)
  else {
    state.view = undefined
    renderSidebar()
    ui.messages.replaceChildren(el('li', 'msg system', 'Join a room from the sidebar.'))
  }
}

async function leaveCurrentRoom() {
  const v = state.view
  if (v?.kind !== 'room') return
  const joined = state.rooms.get(v.id)
  if (!joined) return
  state.rooms.delete(v.id)
  for (const timer of joined.typing.values()) clearTimeout(timer)
  await joined.room.leave()
  if (state.lastRoom === v.id) state.lastRoom = undefined
  switchToAnyRoom()
  void refreshRoomList()
}

async function refreshRoomList() {
  if (state.client?.state !== 'open') return
  try {
    const rooms = await state.client.listRooms()
    state.counts = new Map(rooms.map((r) => [r.id, r.userCount]))
    renderSidebar()
  } catch {
    // Offline or closing: the next poll asks again.
  }
}

// ------------------------------------------------------------------ composing

function stopTyping() {
  clearTimeout(state.typingIdle)
  const v = state.view
  if (v?.kind === 'room') state.rooms.get(v.id)?.room.typing(false)
}

ui.message.addEventListener('input', () => {
  const v = state.view
  if (v?.kind !== 'room') return
  const joined = state.rooms.get(v.id)
  if (!joined) return
  clearTimeout(state.typingIdle)
  if (ui.message.value.trim() === '') {
    joined.room.typing(false)
    return
  }
  joined.room.typing(true)
  state.typingIdle = setTimeout(() => joined.room.typing(false), 4000)
})

ui.composer.addEventListener('submit', (event) => {
  event.preventDefault()
  const text = ui.message.value.trim()
  const v = state.view
  if (!text || !v) return
  ui.message.value = ''
  stopTyping()
  const done = (promise) =>
    promise.catch((error) => {
      showNotice(`Not sent: ${describeError(error)}`)
      if (!ui.message.value) ui.message.value = text
    })
  if (v.kind === 'room') {
    const joined = state.rooms.get(v.id)
    if (joined) void done(joined.room.send(text))
  } else {
    void done(state.client.private(v.id, text))
  }
})

ui.newRoomForm.addEventListener('submit', (event) => {
  event.preventDefault()
  const id = ui.newRoom.value.trim()
  if (!id) return
  ui.newRoom.value = ''
  void openRoom(id)
})

ui.leave.addEventListener('click', () => void leaveCurrentRoom())

// Narrow screens: the side panels slide over the conversation.
ui.toggleSidebar.addEventListener('click', (event) => {
  event.stopPropagation()
  ui.membersPanel.classList.remove('open')
  ui.sidebar.classList.toggle('open')
})
ui.toggleMembers.addEventListener('click', (event) => {
  event.stopPropagation()
  ui.sidebar.classList.remove('open')
  ui.membersPanel.classList.toggle('open')
})
document.querySelector('.main').addEventListener('click', (event) => {
  if (event.target.closest('.icon-btn')) return
  ui.sidebar.classList.remove('open')
  ui.membersPanel.classList.remove('open')
})

// ------------------------------------------------------------------ connecting

function onPrivate(frame) {
  const peer = frame.from === state.me ? frame.to : frame.from
  const isNew = !state.dms.has(peer)
  if (isNew) state.dms.set(peer, { entries: [], unread: 0 })
  appendEntry('dm', peer, { kind: 'private', from: frame.from, text: frame.text, timestamp: frame.timestamp })
  if (isNew) renderSidebar()
}

function wireClient(client) {
  client.on('state', (s) => {
    setConnState(s)
    if (s === 'reconnecting') {
      for (const joined of state.rooms.values()) joined.lostAt ??= joined.room.offset
      showNotice('Connection lost. Reconnecting…', { sticky: true })
    } else if (s === 'open' && !ui.notice.hidden && ui.notice.dataset.tone === 'warn') {
      showNotice('Reconnected.', { tone: 'ok' })
    } else if (s === 'closed' && state.view) {
      showNotice('Disconnected from the server. Reload the page to reconnect.', { sticky: true, tone: 'bad' })
    }
  })
  client.on('open', () => void refreshRoomList())
  client.on('private', onPrivate)
  client.on('error', (error) => showNotice(describeError(error)))
}

ui.loginForm.addEventListener('submit', async (event) => {
  event.preventDefault()
  ui.loginError.textContent = ''
  const token = (ui.token?.value ?? '').trim()
  const username = token ? nameFromToken(token) : ui.username.value.trim()
  const first = ui.firstRoom.value.trim() || 'general'
  if (!username) {
    ui.loginError.textContent = 'Pick a name first.'
    return
  }
  if (!ROOM_ID.test(first)) {
    ui.loginError.textContent = 'Room names are 1–64 letters, digits or _ . : -'
    return
  }
  ui.loginSubmit.disabled = true
  ui.loginSubmit.textContent = 'Joining…'
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`
  const client = window.Hubbub.connect(url, token ? { token } : {})
  state.client = client
  state.me = username
  state.token = token
  wireClient(client)
  // A refused token closes with 4401 and rejects the join with UNAUTHORIZED; a refused upgrade (403
  // origin) looks like a dropped link to the client, which would retry forever: before the first
  // welcome, say so instead.
  const refused = new Promise((_, reject) => {
    const off = client.on('state', (s) => {
      if (s === 'open') off()
      else if (s === 'reconnecting' && !client.welcome) {
        off()
        reject({ code: 'CONNECT_FAILED' })
      }
    })
  })
  refused.catch(() => {})
  try {
    await Promise.race([joinRoom(first), refused])
  } catch (error) {
    client.close()
    state.client = undefined
    state.rooms.clear()
    ui.loginError.textContent = describeError(error)
    ui.loginSubmit.disabled = false
    ui.loginSubmit.textContent = 'Join chat'
    return
  }
  ui.me.textContent = username
  ui.login.hidden = true
  ui.app.hidden = false
  setConnState(client.state)
  setView('room', first)
  void refreshRoomList()
  // Counts of rooms this page is not in are not pushed: ask now and then.
  state.pollTimer = setInterval(() => void refreshRoomList(), 5000)
})

// A link such as /?token=…&room=… fills the form (and a token fixes the name).
const params = new URLSearchParams(location.search)
if (params.get('room')) ui.firstRoom.value = params.get('room')
if (params.get('token') && ui.token) {
  ui.token.value = params.get('token')
  const name = nameFromToken(ui.token.value)
  if (name) {
    ui.username.value = name
    ui.username.readOnly = true
  }
  ui.token.closest('details')?.setAttribute('open', '')
}
ui.username.focus()
