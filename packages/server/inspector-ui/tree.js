// Draws the supervision tree (`system.snapshot()`, trimmed by the server) as nested lists.
// Processes restarted in the last few seconds flash; a supervisor near its restart intensity is marked hot.

const el = (tag, className, text) => {
  const e = document.createElement(tag)
  if (className) e.className = className
  if (text !== undefined) e.textContent = text
  return e
}

/** `flashing(name, pid)`: true when the process restarted recently. */
export function renderTree(container, tree, flashing) {
  const root = el('ul')
  for (const p of tree.roots) root.append(processItem(p, undefined, flashing))
  if (tree.rootCount > tree.roots.length)
    root.append(el('li', 'meta', `… ${tree.rootCount - tree.roots.length} more`))
  container.replaceChildren(root)
}

function processItem(p, child, flashing) {
  const li = el('li')
  const node = el('span', 'node')
  node.dataset.pid = String(p.pid)
  const label = p.name ?? child?.id ?? (p.supervisor ? `supervisor #${p.pid}` : `#${p.pid}`)
  node.dataset.name = label
  node.append(el('span', 'name', label))
  node.append(el('span', 'meta', `pid ${p.pid} · ${p.status}`))
  if (p.mailbox > 0) node.append(el('span', 'meta', `mailbox ${p.mailbox}`))
  if (child !== undefined && child.restarts > 0) node.append(el('span', 'restarts', `↻ ${child.restarts}`))
  if (flashing(label, p.pid)) node.classList.add('flash')
  li.append(node)
  const sup = p.supervisor
  if (sup !== undefined) {
    const { recent, maxRestarts, withinMs } = sup.intensity
    node.append(el('span', 'meta', sup.strategy))
    node.append(el('span', 'meta intensity', `intensity ${recent}/${maxRestarts} in ${withinMs / 1000}s`))
    if (maxRestarts > 0 && recent >= Math.ceil(maxRestarts * 0.6)) node.classList.add('hot')
    const ul = el('ul')
    for (const c of sup.children) {
      if (c.process === undefined) {
        const idle = el('li')
        idle.append(el('span', 'node', `${c.id} (not running)`))
        ul.append(idle)
      } else ul.append(processItem(c.process, c, flashing))
    }
    if (sup.childCount > sup.children.length)
      ul.append(el('li', 'meta', `… ${sup.childCount - sup.children.length} more`))
    li.append(ul)
  }
  return li
}
