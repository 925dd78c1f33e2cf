// Live cursors over a game's stage: this page's pointer goes out as `cursor {x, y}` (0..1 of the
// stage; the client keeps at most 20 a second), others' come back as `cursor {user, x, y}`.

const STALE_MS = 5000

export function liveCursors({ client, roomId, stage }) {
  const layer = stage.querySelector('.cursors')
  const shown = new Map()
  const onMove = (event) => {
    const box = stage.getBoundingClientRect()
    const x = (event.clientX - box.left) / box.width
    const y = (event.clientY - box.top) / box.height
    if (x < 0 || x > 1 || y < 0 || y > 1) return
    client.send({ type: 'cursor', roomId, x, y })
  }
  stage.addEventListener('pointermove', onMove)
  const sweep = setInterval(() => {
    const now = Date.now()
    for (const [user, c] of shown) {
      if (now - c.at > STALE_MS) {
        c.el.remove()
        shown.delete(user)
      }
    }
  }, 1000)
  return {
    show(frame) {
      let c = shown.get(frame.user)
      if (!c) {
        const el = document.createElement('div')
        el.className = 'cursor'
        el.dataset.user = frame.user
        el.textContent = frame.user
        layer.append(el)
        c = { el, at: 0 }
        shown.set(frame.user, c)
      }
      c.at = Date.now()
      c.el.style.left = `${frame.x * 100}%`
      c.el.style.top = `${frame.y * 100}%`
    },
    close() {
      stage.removeEventListener('pointermove', onMove)
      clearInterval(sweep)
      layer.replaceChildren()
    },
  }
}
