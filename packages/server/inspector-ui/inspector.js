// The inspector page: a Hubbub connection of its own that joins the hidden `hubbub:inspector` room.
// The secret comes from the URL fragment (never sent in a request line) and travels as the
// `hubbub.inspector.<base64url(secret)>` subprotocol entry, since browsers cannot set headers on a WebSocket.
import { renderTree } from './tree.js'

const ROOM = 'hubbub:inspector'
const HISTORY = 120 // seconds kept for the charts and sparklines
const $ = (id) => document.getElementById(id)
const el = (tag, text) => {
  const e = document.createElement(tag)
  if (text !== undefined) e.textContent = text
  return e
}

const b64url = (s) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(s)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')

let secret = decodeURIComponent(location.hash.slice(1))
let socket
let nextId = 1
const pending = new Map()
const restartedAt = new Map() // process name → when it last restarted
const roomRates = new Map() // room id → recent frames/s
const series = { t: [], rate: [], p99: [] }

function setStatus(state, text = state) {
  const s = $('status')
  s.dataset.state = state
  s.textContent = text
}

function connect() {
  if (!secret) {
    $('secret-form').hidden = false
    setStatus('closed', 'secret needed')
    return
  }
  const path = document.querySelector('meta[name="hubbub-ws-path"]').content || '/ws'
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`
  setStatus('connecting')
  let opened = false
  socket = new WebSocket(url, ['hubbub.v1.json', `hubbub.inspector.${b64url(secret)}`])
  socket.onopen = () => {
    opened = true
  }
  socket.onmessage = (ev) => onFrame(JSON.parse(ev.data))
  socket.onclose = () => {
    // A refused upgrade (wrong secret: 401) never opens; do not hammer the server with it.
    if (!opened) {
      setStatus('refused', 'refused: wrong secret?')
      $('secret-form').hidden = false
      return
    }
    setStatus('closed', 'reconnecting')
    setTimeout(connect, 1000)
  }
}

function send(frame) {
  const id = `i${nextId++}`
  socket.send(JSON.stringify({ ...frame, id }))
  return new Promise((resolve) => pending.set(id, resolve))
}

function onFrame(f) {
  if (f.replyTo && pending.has(f.replyTo)) {
    pending.get(f.replyTo)(f)
    pending.delete(f.replyTo)
  }
  if (f.type === 'welcome') {
    void send({ type: 'join', roomId: ROOM })
    return
  }
  if (f.type === 'error' && f.code === 'FORBIDDEN') setStatus('refused', 'forbidden')
  if (f.type !== 'inspector') return
  if (f.kind === 'joined') setStatus('live')
  else if (f.kind === 'snapshot') onSnapshot(f.snapshot, f.loop)
  else if (f.kind === 'event') onEvent(f.event)
}

function onEvent(e) {
  if (e.type === 'restarted' && e.name) restartedAt.set(e.name, Date.now())
  const li = el('li')
  li.dataset.type = e.type
  const time = new Date(e.at).toLocaleTimeString()
  const who = e.name ?? (e.childId ? `child ${e.childId}` : `#${e.pid}`)
  const detail =
    e.type === 'exited'
      ? ` (${e.reason})`
      : e.type === 'restarted'
        ? ` (restart ${e.restarts})`
        : e.type === 'escalated'
          ? ` (more than ${e.maxRestarts} restarts in ${e.withinMs / 1000}s)`
          : ''
  li.textContent = `${time} ${e.type} ${who} pid ${e.pid}${detail}`
  const list = $('events')
  list.prepend(li)
  while (list.children.length > 200) list.lastChild.remove()
}

const flashing = (name) => Date.now() - (restartedAt.get(name) ?? 0) < 4000

function onSnapshot(s, loop) {
  const summary = [
    ['node', s.nodeId],
    ['uptime', `${Math.round(s.uptimeMs / 1000)} s`],
    ['connections', s.connectionCount],
    ['rooms', s.roomCount],
    ['processes', s.actors.processes],
    ['loop p99', `${loop.p99Ms.toFixed(1)} ms`],
  ]
  $('summary').replaceChildren(
    ...summary.map(([k, v]) => {
      const d = el('div')
      d.append(el('dt', k), el('dd', String(v)))
      return d
    }),
  )
  renderTree($('tree'), s.actors, flashing)
  $('tree-count').textContent = `${s.actors.processes} processes`
  renderRooms(s)
  renderConnections(s)
  pushSeries(s, loop)
}

function sparkline(values) {
  const ns = 'http://www.w3.org/2000/svg'
  const svg = document.createElementNS(ns, 'svg')
  svg.setAttribute('class', 'spark')
  svg.setAttribute('viewBox', '0 0 60 18')
  svg.setAttribute('preserveAspectRatio', 'none')
  const max = Math.max(1, ...values)
  const line = document.createElementNS(ns, 'polyline')
  const start = 60 - values.length
  line.setAttribute('points', values.map((v, i) => `${start + i},${17 - (v / max) * 16}`).join(' '))
  svg.append(line)
  return svg
}

function button(label, confirmText, run) {
  const b = el('button', label)
  b.className = 'danger'
  b.addEventListener('click', () => confirmAction(confirmText, run))
  return b
}

function renderRooms(s) {
  const tbody = $('rooms').tBodies[0]
  const seen = new Set()
  tbody.replaceChildren(
    ...s.rooms.map((r) => {
      seen.add(r.id)
      const rates = roomRates.get(r.id) ?? []
      rates.push(r.messagesPerSecond)
      if (rates.length > 60) rates.shift()
      roomRates.set(r.id, rates)
      const tr = el('tr')
      tr.dataset.room = r.id
      const spark = el('td')
      spark.append(sparkline(rates))
      const act = el('td')
      act.append(
        button('crash', `Crash room "${r.id}"? Its supervisor restarts it and its members rejoin.`, () =>
          send({ type: 'message', roomId: ROOM, text: JSON.stringify({ action: 'crash', roomId: r.id }) }),
        ),
      )
      tr.append(
        el('td', r.id),
        num(r.connections),
        num(r.users),
        num(r.offset),
        num(r.history ?? '–'),
        num(r.messagesPerSecond.toFixed(1)),
        spark,
        act,
      )
      return tr
    }),
  )
  for (const id of roomRates.keys()) if (!seen.has(id)) roomRates.delete(id)
  $('room-count').textContent =
    s.roomCount > s.rooms.length ? `${s.rooms.length} of ${s.roomCount}` : String(s.roomCount)
}

function num(v) {
  const td = el('td', String(v))
  td.className = 'num'
  return td
}

const bytes = (n) =>
  n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`

function renderConnections(s) {
  $('connections').tBodies[0].replaceChildren(
    ...s.connections.map((c) => {
      const tr = el('tr')
      tr.dataset.connection = c.id
      const act = el('td')
      act.append(
        button(
          'terminate',
          `Terminate connection ${c.id}${c.name ? ` (${c.name})` : ''}? Its client sees a dropped socket.`,
          () =>
            send({
              type: 'message',
              roomId: ROOM,
              text: JSON.stringify({ action: 'terminate', connectionId: c.id }),
            }),
        ),
      )
      tr.append(
        el('td', c.id),
        el('td', c.name || '–'),
        el('td', c.remoteAddress),
        el('td', c.rooms.join(', ')),
        num(bytes(c.bufferedBytes)),
        num(c.dropped),
        num(c.framesIn),
        num(c.framesOut),
        num(c.rateLimited),
        act,
      )
      return tr
    }),
  )
  $('conn-count').textContent =
    s.connectionCount > s.connections.length
      ? `top ${s.connections.length} of ${s.connectionCount}`
      : String(s.connectionCount)
}

let last
let charts
function pushSeries(s, loop) {
  const t = s.at / 1000
  const rate =
    last === undefined || t <= last.t ? 0 : Math.max(0, (s.messagesTotal - last.total) / (t - last.t))
  last = { t, total: s.messagesTotal }
  series.t.push(t)
  series.rate.push(rate)
  series.p99.push(loop.p99Ms)
  if (series.t.length > HISTORY) for (const k of Object.keys(series)) series[k].shift()
  charts ??= makeCharts()
  charts.rate.setData([series.t, series.rate])
  charts.loop.setData([series.t, series.p99])
}

function makeCharts() {
  const make = (target, label, stroke) => {
    const width = Math.max(280, target.parentElement.clientWidth - 10)
    return new uPlot(
      {
        width,
        height: 160,
        legend: { show: false },
        series: [{}, { label, stroke, width: 1.5, fill: `${stroke}22` }],
        axes: [{ stroke: '#888' }, { stroke: '#888', size: 48 }],
      },
      [[], []],
      target,
    )
  }
  return {
    rate: make($('chart-rate'), 'frames/s', '#2f6fdb'),
    loop: make($('chart-loop'), 'p99 ms', '#c7372f'),
  }
}

function confirmAction(text, run) {
  const dialog = $('confirm')
  $('confirm-text').textContent = text
  dialog.returnValue = ''
  dialog.onclose = async () => {
    if (dialog.returnValue !== 'ok') return
    const result = await run()
    const li = el(
      'li',
      `${new Date().toLocaleTimeString()} action ${result.action ?? ''}: ${result.ok ? 'done' : (result.message ?? 'refused')}`,
    )
    li.dataset.type = 'action'
    $('events').prepend(li)
  }
  dialog.showModal()
}

$('secret-form').addEventListener('submit', (ev) => {
  ev.preventDefault()
  secret = $('secret-input').value
  location.hash = encodeURIComponent(secret)
  $('secret-form').hidden = true
  connect()
})

connect()
