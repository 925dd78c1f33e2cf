// Rooms and private conversations: what is in them, the sidebar, the member list, the header,
// the room picker, unread counts (also in the tab title) and the "new messages" divider.
import { hideNotice, showNotice } from './connection.js'
import { describeError, roomNameProblem } from './format.js'
import { $, el, newMessagesDivider, renderEntry } from './render.js'
import { saveSession, state } from './state.js'

const TYPING_TTL_MS = 6000
/** Lines kept per conversation in the page. */
const KEEP = 500

const ui = {
  app: $('app'),
  sidebar: $('sidebar'),
  rooms: $('rooms'),
  dms: $('dms'),
  roomName: $('room-name'),
  roomSub: $('room-sub'),
  messages: $('messages'),
  typing: $('typing'),
  composer: $('composer'),
  message: $('message'),
  membersPanel: $('members-panel'),
  members: $('members'),
  memberCount: $('member-count'),
  memberCountNarrow: $('member-count-narrow'),
  membersRoom: $('members-room'),
  leave: $('leave-room'),
  picker: $('picker'),
  pickerRooms: $('picker-rooms'),
}

// The message list scrolls: keyboard users reach it with Tab and scroll it with the arrow keys.
ui.messages.tabIndex = 0

/** Hooks the composer sets (typing stops when the view changes). */
export const hooks = { onViewChange: () => {} }

const actions = {
  retry: (entry) => {
    removeEntry(entry)
    if (entry.kind === 'private') sendPrivate(entry.peer, entry.text)
    else sendToRoom(entry.roomId, entry.text)
  },
  discard: (entry) => removeEntry(entry),
}

// ------------------------------------------------------------------ conversations

function conversation(kind, id) {
  return kind === 'room' ? state.rooms.get(id) : state.dms.get(id)
}

function isViewing(kind, id) {
  return state.view?.kind === kind && state.view.id === id
}

/** The user sees this conversation now (it is open and the tab is visible). */
function isSeeing(kind, id) {
  return isViewing(kind, id) && document.visibilityState === 'visible'
}

function nearBottom() {
  const m = ui.messages
  return m.scrollHeight - m.scrollTop - m.clientHeight < 80
}

const draw = (entry, prev) => {
  entry.node = renderEntry(entry, prev, { me: state.me, actions })
  return entry.node
}

export function renderMessages() {
  const conv = state.view ? conversation(state.view.kind, state.view.id) : undefined
  const entries = conv?.entries ?? []
  const nodes = []
  entries.forEach((entry, i) => {
    if (entry === conv.divider) nodes.push(newMessagesDivider())
    nodes.push(draw(entry, entries[i - 1]))
  })
  if (entries.length === 0) {
    nodes.push(
      el(
        'li',
        'msg system empty',
        state.view?.kind === 'dm' ? 'No messages yet. Say hi!' : 'No messages yet.',
      ),
    )
  }
  ui.messages.replaceChildren(...nodes)
  const divider = ui.messages.querySelector('.divider')
  if (divider) divider.scrollIntoView({ block: 'center' })
  else ui.messages.scrollTop = ui.messages.scrollHeight
}

/** Adds a line to a conversation, and to the screen when it is open. */
export function appendEntry(kind, id, entry) {
  const conv = conversation(kind, id)
  if (!conv) return
  // Bubbles still sending stay last: what arrives meanwhile (recovered messages) goes above them.
  const waiting = entry.status === undefined ? conv.entries.findIndex((e) => e.status !== undefined) : -1
  if (waiting >= 0) conv.entries.splice(waiting, 0, entry)
  else conv.entries.push(entry)
  if (conv.entries.length > KEEP) conv.entries.splice(0, conv.entries.length - KEEP)
  const counts = entry.kind !== 'system' && entry.from !== state.me
  let newDivider = false
  if (counts && !isSeeing(kind, id)) {
    if (conv.unread === 0 && conv.divider === undefined) {
      conv.divider = entry
      newDivider = true
    }
    conv.unread++
  }
  if (isViewing(kind, id)) {
    if (waiting >= 0) {
      renderMessages()
    } else {
      const stick = nearBottom() || entry.from === state.me
      ui.messages.querySelector('.empty')?.remove()
      if (newDivider) ui.messages.append(newMessagesDivider())
      ui.messages.append(draw(entry, conv.entries[conv.entries.length - 2]))
      if (stick) ui.messages.scrollTop = ui.messages.scrollHeight
    }
  }
  if (counts && !isSeeing(kind, id)) renderSidebar()
  updateTitle()
  if (kind === 'dm') saveSession()
}

function redraw(kind, id, entry) {
  if (!isViewing(kind, id) || !entry.node?.isConnected) return
  const conv = conversation(kind, id)
  const prev = conv.entries[conv.entries.indexOf(entry) - 1]
  entry.node.replaceWith(draw(entry, prev))
}

function removeEntry(entry) {
  const kind = entry.kind === 'private' ? 'dm' : 'room'
  const id = kind === 'dm' ? entry.peer : entry.roomId
  const conv = conversation(kind, id)
  if (!conv) return
  const i = conv.entries.indexOf(entry)
  if (i >= 0) conv.entries.splice(i, 1)
  if (entry.node?.isConnected) entry.node.remove()
}

// ------------------------------------------------------------------ sending (pending bubbles)

/** Sends to a room; the bubble follows the client's `outgoing` states (see attachRoom). */
export function sendToRoom(roomId, text) {
  const joined = state.rooms.get(roomId)
  if (!joined) return
  // Failure shows on the bubble (its `outgoing` state), not as a rejection here.
  joined.room.send(text).catch(() => {})
}

function onOutgoing(roomId, joined, out) {
  let entry = joined.entries.find((e) => e.pendingId === out.id)
  if (out.status === 'pending') {
    if (entry) return
    entry = {
      kind: 'message',
      roomId,
      from: state.me,
      text: out.text,
      timestamp: Date.now(),
      status: 'pending',
      pendingId: out.id,
    }
    appendEntry('room', roomId, entry)
    return
  }
  if (!entry) return
  if (out.status === 'sent') {
    const offset = out.message?.offset
    if (offset !== undefined && seenBefore(joined, offset, entry)) {
      removeEntry(entry)
      return
    }
    entry.status = undefined
    entry.pendingId = undefined
    entry.offset = offset
    entry.epoch = joined.room.epoch
    if (out.message?.timestamp) entry.timestamp = out.message.timestamp
  } else {
    entry.status = 'failed'
    entry.error = describeError(out.error, { token: Boolean(state.token) })
  }
  redraw('room', roomId, entry)
}

/** Sends a private message: a local bubble, confirmed by the server's echo. */
export function sendPrivate(peer, text) {
  const entry = { kind: 'private', peer, from: state.me, text, timestamp: Date.now(), status: 'pending' }
  appendEntry('dm', peer, entry)
  state.client.private(peer, text).then(
    (echo) => confirmPrivate(peer, entry, echo),
    (error) => {
      if (entry.status !== 'pending') return
      entry.status = 'failed'
      entry.error = describeError(error, { token: Boolean(state.token) })
      redraw('dm', peer, entry)
    },
  )
}

function confirmPrivate(peer, entry, frame) {
  if (entry.status !== 'pending') return
  entry.status = undefined
  entry.timestamp = frame.timestamp
  redraw('dm', peer, entry)
  saveSession()
}

export function ensureDm(peer) {
  if (!state.dms.has(peer)) state.dms.set(peer, { entries: [], unread: 0, divider: undefined })
  return state.dms.get(peer)
}

export function onPrivate(frame) {
  const peer = frame.from === state.me ? frame.to : frame.from
  const isNew = !state.dms.has(peer)
  const dm = ensureDm(peer)
  if (frame.from === state.me) {
    const mine = dm.entries.find((e) => e.status === 'pending' && e.text === frame.text)
    if (mine) {
      confirmPrivate(peer, mine, frame)
      return
    }
  }
  appendEntry('dm', peer, { kind: 'private', from: frame.from, text: frame.text, timestamp: frame.timestamp })
  if (isNew) renderSidebar()
}

// ------------------------------------------------------------------ sidebar, members, header, title

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
  if (unread > 0) {
    const u = el('span', 'count unread', String(unread))
    u.setAttribute('aria-label', `${unread} unread`)
    badges.append(u)
  }
  if (count !== undefined) {
    const c = el('span', 'count', String(count))
    c.title = `${count} online`
    c.setAttribute('aria-label', `${count} online`)
    c.dataset.testid = 'room-count'
    badges.append(c)
  }
  button.append(badges)
  button.addEventListener('click', onClick)
  li.append(button)
  return li
}

function sortedRoomIds() {
  const ids = new Set([...state.rooms.keys(), ...state.counts.keys()])
  return [...ids].sort((a, b) => {
    const ja = state.rooms.has(a) ? 0 : 1
    const jb = state.rooms.has(b) ? 0 : 1
    return ja - jb || a.localeCompare(b)
  })
}

export function renderSidebar() {
  ui.rooms.replaceChildren(
    ...sortedRoomIds().map((id) => {
      const item = sidebarItem(`# ${id}`, {
        current: isViewing('room', id),
        count: roomCount(id),
        unread: state.rooms.get(id)?.unread ?? 0,
        testid: `room-${id}`,
        joined: state.rooms.has(id),
        onClick: () => void openRoom(id),
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
  if (!state.view) renderPicker()
}

export function renderMembers() {
  const roomId = state.view?.kind === 'room' ? state.view.id : state.lastRoom
  const joined = roomId ? state.rooms.get(roomId) : undefined
  const users = joined ? [...joined.room.users].sort((a, b) => a.localeCompare(b)) : []
  ui.memberCount.textContent = String(joined ? joined.room.count : 0)
  ui.memberCountNarrow.textContent = joined ? ui.memberCount.textContent : ''
  ui.membersRoom.textContent = roomId && joined ? `#${roomId}` : ''
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

export function renderTyping() {
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
  ui.app.dataset.view = v ? v.kind : 'picker'
  ui.leave.hidden = v?.kind !== 'room'
  if (!v) {
    ui.roomName.textContent = 'Pick a room'
    ui.roomName.className = 'none'
    ui.roomSub.textContent = ''
    return
  }
  ui.roomName.textContent = v.id
  ui.roomName.className = v.kind === 'dm' ? 'dm' : ''
  if (v.kind === 'room') {
    const n = roomCount(v.id)
    ui.roomSub.textContent = `${n} ${n === 1 ? 'member' : 'members'}`
    ui.message.placeholder = `Message #${v.id}`
  } else {
    ui.roomSub.textContent = 'private conversation'
    ui.message.placeholder = `Message @${v.id}`
  }
}

/** The tab title: the open conversation, with the unread count in front ("(3) #general · Hubbub Chat"). */
export function updateTitle() {
  let unread = 0
  for (const c of state.rooms.values()) unread += c.unread
  for (const c of state.dms.values()) unread += c.unread
  const v = state.view
  const where = v ? `${v.kind === 'room' ? '#' : '@'}${v.id}` : 'Pick a room'
  document.title = `${unread > 0 ? `(${unread}) ` : ''}${where} · Hubbub Chat`
}

function renderPicker() {
  const ids = sortedRoomIds()
  ui.pickerRooms.replaceChildren(
    ...(ids.length === 0
      ? [el('li', 'muted small', 'No rooms yet: start one below.')]
      : ids.map((id) => {
          const li = el('li')
          const b = el('button', undefined, `# ${id}`)
          b.type = 'button'
          b.dataset.testid = `picker-room-${id}`
          const n = roomCount(id)
          b.append(el('span', 'count', `${n} online`))
          b.addEventListener('click', () => void openRoom(id))
          li.append(b)
          return li
        })),
  )
}

function renderAll() {
  renderHeader()
  renderSidebar()
  renderMembers()
  renderTyping()
  const picking = state.view === undefined
  ui.picker.hidden = !picking
  ui.messages.hidden = picking
  ui.typing.hidden = picking
  ui.composer.hidden = picking
  if (picking) renderPicker()
  else renderMessages()
  updateTitle()
}

// ------------------------------------------------------------------ rooms

function clearTyping(joined, user) {
  const timer = joined.typing.get(user)
  if (timer === undefined) return
  clearTimeout(timer)
  joined.typing.delete(user)
}

/**
 * True when the room's conversation already shows the message at `offset` of the room's current
 * history epoch. An offset alone is not enough: after a room's history restarts (a new epoch, say
 * after a crash that lost an in-memory log) offsets count from 1 again.
 */
function seenBefore(joined, offset, except) {
  const epoch = joined.room.epoch
  return joined.entries.some((e) => e !== except && e.offset === offset && e.epoch === epoch)
}

function attachRoom(room) {
  const id = room.id
  const joined = { room, entries: [], unread: 0, divider: undefined, typing: new Map(), recovered: 0 }
  for (const m of room.backlog) {
    joined.entries.push({
      kind: 'message',
      roomId: id,
      from: m.from,
      text: m.text,
      timestamp: m.timestamp,
      offset: m.offset,
      epoch: room.epoch,
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
    if (seenBefore(joined, m.offset)) return
    if (m.recovered) joined.recovered++
    appendEntry('room', id, {
      kind: 'message',
      roomId: id,
      from: m.from,
      text: m.text,
      timestamp: m.timestamp,
      offset: m.offset,
      epoch: room.epoch,
      recovered: m.recovered === true,
    })
  })
  room.on('outgoing', (out) => onOutgoing(id, joined, out))
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
  // The rejoin after a reconnect: the recovered messages (flagged by the client) came first.
  room.on('history', () => {
    const n = joined.recovered
    joined.recovered = 0
    if (n > 0) {
      showNotice(`Back online: ${n} missed ${n === 1 ? 'message' : 'messages'} recovered in #${id}.`, {
        tone: 'ok',
      })
    }
  })
  room.on('gap', (gap) => {
    const n = gap.to >= gap.from ? gap.to - gap.from + 1 : 0
    let text
    if (gap.reason === 'epoch') {
      text =
        n > 0
          ? `The server lost this room's history; ${n} newer ${n === 1 ? 'message' : 'messages'} follow.`
          : "The server lost this room's history; the messages above are from before."
    } else {
      text = `${n} ${n === 1 ? 'message' : 'messages'} from while you were away could not be recovered.`
    }
    appendEntry('room', id, { kind: 'system', text })
  })
  room.on('error', (error) => {
    dropRoom(id)
    showNotice(`Left #${id}: ${describeError(error, { token: Boolean(state.token) })}`)
  })
  return joined
}

export async function joinRoom(id) {
  const room = await state.client.join(id, state.token ? {} : { username: state.me })
  const joined = state.rooms.get(id) ?? attachRoom(room)
  saveSession()
  return joined
}

export function setView(kind, id) {
  hooks.onViewChange()
  const old = state.view ? conversation(state.view.kind, state.view.id) : undefined
  // The divider marks what arrived while away; once the conversation is left, it has been read.
  if (old && !(state.view.kind === kind && state.view.id === id)) old.divider = undefined
  state.view = kind ? { kind, id } : undefined
  if (kind === 'room') state.lastRoom = id
  const conv = kind ? conversation(kind, id) : undefined
  if (conv) conv.unread = 0
  closePanels()
  renderAll()
  saveSession()
  if (kind && window.matchMedia('(min-width: 821px)').matches) ui.message.focus()
}

export async function openRoom(id) {
  const problem = roomNameProblem(id)
  if (problem) {
    showNotice(problem)
    return false
  }
  if (!state.rooms.has(id)) {
    try {
      await joinRoom(id)
    } catch (error) {
      showNotice(`Could not join #${id}: ${describeError(error, { token: Boolean(state.token) })}`)
      return false
    }
    void refreshRoomList()
  }
  setView('room', id)
  return true
}

export function openDm(peer) {
  if (peer === state.me) return
  ensureDm(peer)
  setView('dm', peer)
}

/** Forgets a room (left, or removed by the client); with no room left, the picker shows. */
function dropRoom(id) {
  const joined = state.rooms.get(id)
  if (!joined) return
  state.rooms.delete(id)
  for (const timer of joined.typing.values()) clearTimeout(timer)
  if (state.lastRoom === id) state.lastRoom = undefined
  if (isViewing('room', id)) {
    const next = state.rooms.keys().next().value
    if (next) setView('room', next)
    else setView(undefined)
  } else {
    renderSidebar()
    renderMembers()
    saveSession()
  }
}

export async function leaveCurrentRoom() {
  const v = state.view
  if (v?.kind !== 'room') return
  const joined = state.rooms.get(v.id)
  if (!joined) return
  dropRoom(v.id)
  hideNotice()
  await joined.room.leave().catch(() => {})
  void refreshRoomList()
}

export async function refreshRoomList() {
  if (state.client?.state !== 'open') return
  try {
    const rooms = await state.client.listRooms()
    state.counts = new Map(rooms.map((r) => [r.id, r.userCount]))
    renderSidebar()
  } catch {
    // Offline or closing: the next poll asks again.
  }
}

// ------------------------------------------------------------------ panels (narrow screens)

export function closePanels() {
  ui.sidebar.classList.remove('open')
  ui.membersPanel.classList.remove('open')
  $('toggle-sidebar').setAttribute('aria-expanded', 'false')
  $('toggle-members').setAttribute('aria-expanded', 'false')
}

function togglePanel(panel, button, other, otherButton) {
  other.classList.remove('open')
  otherButton.setAttribute('aria-expanded', 'false')
  const open = panel.classList.toggle('open')
  button.setAttribute('aria-expanded', String(open))
  if (open) panel.querySelector('button, input')?.focus()
}

export function wirePanels() {
  const sidebarButton = $('toggle-sidebar')
  const membersButton = $('toggle-members')
  sidebarButton.addEventListener('click', (event) => {
    event.stopPropagation()
    togglePanel(ui.sidebar, sidebarButton, ui.membersPanel, membersButton)
  })
  membersButton.addEventListener('click', (event) => {
    event.stopPropagation()
    togglePanel(ui.membersPanel, membersButton, ui.sidebar, sidebarButton)
  })
  document.querySelector('.main').addEventListener('click', (event) => {
    if (event.target.closest('.icon-btn')) return
    closePanels()
  })
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return
    const open = ui.sidebar.classList.contains('open')
      ? sidebarButton
      : ui.membersPanel.classList.contains('open')
        ? membersButton
        : undefined
    if (!open) return
    closePanels()
    open.focus()
  })
  ui.leave.addEventListener('click', () => void leaveCurrentRoom())
  // Back to the tab: what was unread in the open conversation is read now (the divider stays).
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState !== 'visible' || !state.view) return
    const conv = conversation(state.view.kind, state.view.id)
    if (conv?.unread) {
      conv.unread = 0
      renderSidebar()
      updateTitle()
    }
  })
}
