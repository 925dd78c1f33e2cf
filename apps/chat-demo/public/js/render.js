// DOM building blocks. Every piece of user text reaches the page through textContent or a
// DOM-built link, never as HTML.
import { formatTime, nameColor, splitLinks } from './format.js'

export const $ = (id) => document.getElementById(id)

/** Creates an element with a class and (text-only) content. */
export function el(tag, className, text) {
  const node = document.createElement(tag)
  if (className) node.className = className
  if (text !== undefined) node.textContent = text
  return node
}

/** A message text with its web links clickable (new tab, no opener, no referrer). */
export function messageText(text) {
  const div = el('div', 'text')
  for (const part of splitLinks(text)) {
    if (part.href === undefined) {
      div.append(document.createTextNode(part.text))
      continue
    }
    const a = el('a', undefined, part.text)
    a.href = part.href
    a.target = '_blank'
    a.rel = 'noopener noreferrer'
    div.append(a)
  }
  return div
}

/** A message right after another of the same sender (within 3 minutes) drops its repeated name and time. */
function continues(entry, prev) {
  return (
    prev !== undefined &&
    prev.kind === entry.kind &&
    entry.kind !== 'system' &&
    prev.status === undefined &&
    prev.from === entry.from &&
    entry.timestamp - prev.timestamp < 180_000
  )
}

/**
 * One conversation line. `entry.status`: undefined (sequenced), 'pending' ("sending…") or 'failed'
 * (with Retry and Discard, handled by `actions`).
 */
export function renderEntry(entry, prev, { me, actions }) {
  if (entry.kind === 'system') {
    const li = el('li', 'msg system', entry.text)
    li.dataset.kind = 'system'
    return li
  }
  const classes = ['msg']
  if (entry.from === me) classes.push('mine')
  if (entry.kind === 'private') classes.push('private')
  if (entry.history) classes.push('history')
  if (entry.status) classes.push(entry.status)
  else if (continues(entry, prev)) classes.push('cont')
  const li = el('li', classes.join(' '))
  li.dataset.testid = 'message'
  if (entry.status) li.dataset.status = entry.status
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
  li.append(meta, messageText(entry.text))
  if (entry.status === 'pending') {
    const s = el('div', 'status', 'sending…')
    s.dataset.testid = 'sending'
    li.append(s)
  } else if (entry.status === 'failed') {
    const row = el('div', 'status')
    row.append(el('span', 'why', `Not sent: ${entry.error ?? 'unknown error'}`))
    const retry = el('button', 'link-btn', 'Retry')
    retry.type = 'button'
    retry.dataset.testid = 'retry'
    retry.addEventListener('click', () => actions.retry(entry))
    const discard = el('button', 'link-btn', 'Discard')
    discard.type = 'button'
    discard.addEventListener('click', () => actions.discard(entry))
    row.append(retry, discard)
    li.append(row)
  }
  return li
}

/** The line above the first message that arrived while the conversation was out of sight. */
export function newMessagesDivider() {
  const li = el('li', 'divider')
  li.setAttribute('role', 'separator')
  li.dataset.testid = 'new-divider'
  li.append(el('span', undefined, 'New messages'))
  return li
}
