// The arena on a canvas: the room's `arena` frame (everyone) and then one `delta` per tick (who moved
// or was tagged, who left). Between two ticks each player glides from where it was drawn to where the
// room put it, so 20 updates a second look smooth at the screen's frame rate.
import { liveCursors } from './cursors.js'

const SIZE = 32
const TICK_MS = 50
const KEYS = {
  ArrowLeft: [-1, 0],
  ArrowRight: [1, 0],
  ArrowUp: [0, -1],
  ArrowDown: [0, 1],
  a: [-1, 0],
  d: [1, 0],
  w: [0, -1],
  s: [0, 1],
}

export function arenaView({ client, roomId, me, root }) {
  const canvas = root.querySelector('#field')
  const list = root.querySelector('#arena-players')
  const g = canvas.getContext('2d')
  /** name → { x, y } where the room put it, { fx, fy } where it glides from, it. */
  const players = new Map()
  let tickAt = performance.now()
  let tick = 0
  let frameId
  const held = new Set()
  let sent = '0,0'

  const colour = (name) => {
    let h = 0
    for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0
    return `hsl(${h % 360} 70% 60%)`
  }
  const lerp = (a, b, t) => a + (b - a) * t
  const progress = () => Math.min(1, (performance.now() - tickAt) / TICK_MS)

  function place(rows, whole) {
    const t = progress()
    const seen = new Set()
    for (const p of players.values()) {
      // Glide on from where it is drawn now.
      p.fx = lerp(p.fx, p.x, t)
      p.fy = lerp(p.fy, p.y, t)
    }
    for (const [name, x, y, it] of rows) {
      seen.add(name)
      const p = players.get(name)
      if (p && !whole) Object.assign(p, { x, y, it })
      else players.set(name, { x, y, fx: p?.fx ?? x, fy: p?.fy ?? y, it })
    }
    if (whole) for (const name of players.keys()) if (!seen.has(name)) players.delete(name)
    tickAt = performance.now()
    listPlayers()
  }

  function listPlayers() {
    list.replaceChildren(
      ...[...players.keys()].sort().map((name) => {
        const li = document.createElement('li')
        const p = players.get(name)
        li.dataset.player = name
        li.dataset.x = String(p.x)
        li.dataset.y = String(p.y)
        li.style.color = colour(name)
        li.textContent = `${name}${name === me ? ' (you)' : ''}${p.it ? ' · it' : ''}`
        return li
      }),
    )
    canvas.dataset.players = [...players.keys()].sort().join(',')
    canvas.dataset.tick = String(tick)
  }

  function draw() {
    const cell = canvas.width / SIZE
    g.fillStyle = '#0b0e13'
    g.fillRect(0, 0, canvas.width, canvas.height)
    g.strokeStyle = '#161b24'
    g.beginPath()
    for (let i = 1; i < SIZE; i++) {
      g.moveTo(i * cell, 0)
      g.lineTo(i * cell, canvas.height)
      g.moveTo(0, i * cell)
      g.lineTo(canvas.width, i * cell)
    }
    g.stroke()
    const t = progress()
    g.font = '12px system-ui, sans-serif'
    g.textAlign = 'center'
    for (const [name, p] of players) {
      const cx = (lerp(p.fx, p.x, t) + 0.5) * cell
      const cy = (lerp(p.fy, p.y, t) + 0.5) * cell
      g.fillStyle = colour(name)
      g.beginPath()
      g.arc(cx, cy, cell * 0.4, 0, Math.PI * 2)
      g.fill()
      if (p.it) {
        g.strokeStyle = '#fff'
        g.lineWidth = 3
        g.beginPath()
        g.arc(cx, cy, cell * 0.6, 0, Math.PI * 2)
        g.stroke()
        g.lineWidth = 1
      }
      g.fillStyle = name === me ? '#fff' : '#c9d1d9'
      // The name above the disc, kept inside the canvas at the walls.
      g.fillText(
        name,
        Math.max(cell * 1.5, Math.min(canvas.width - cell * 1.5, cx)),
        Math.max(12, cy - cell * 0.75),
      )
    }
    frameId = requestAnimationFrame(draw)
  }
  frameId = requestAnimationFrame(draw)

  function steer() {
    let dx = 0
    let dy = 0
    for (const key of held) {
      dx += KEYS[key][0]
      dy += KEYS[key][1]
    }
    dx = Math.max(-1, Math.min(1, dx))
    dy = Math.max(-1, Math.min(1, dy))
    if (`${dx},${dy}` === sent) return
    sent = `${dx},${dy}`
    client.send({ type: 'input', roomId, dx, dy })
  }
  const onDown = (event) => {
    if (!(event.key in KEYS)) return
    event.preventDefault()
    held.add(event.key)
    steer()
  }
  const onUp = (event) => {
    if (!(event.key in KEYS)) return
    held.delete(event.key)
    steer()
  }
  const onBlur = () => {
    held.clear()
    steer()
  }
  canvas.addEventListener('keydown', onDown)
  canvas.addEventListener('keyup', onUp)
  canvas.addEventListener('blur', onBlur)
  const cursors = liveCursors({ client, roomId, stage: canvas.parentElement })

  return {
    onFrame(frame) {
      if (frame.type === 'arena') {
        tick = frame.tick
        place(frame.players, true)
      } else if (frame.type === 'delta') {
        // Deltas older than the whole arena we hold are already in it.
        if (frame.tick <= tick) return
        tick = frame.tick
        for (const name of frame.gone) players.delete(name)
        place(frame.players, false)
      } else if (frame.type === 'cursor') cursors.show(frame)
    },
    focus() {
      canvas.focus()
    },
    close() {
      cancelAnimationFrame(frameId)
      canvas.removeEventListener('keydown', onDown)
      canvas.removeEventListener('keyup', onUp)
      canvas.removeEventListener('blur', onBlur)
      cursors.close()
      players.clear()
      list.replaceChildren()
    },
  }
}
