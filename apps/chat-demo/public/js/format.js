// Pure helpers: text for people (times, errors, validation) and link splitting. No DOM state here.

export const TEXT_MAX = 2000
/** The counter appears this close to the limit. */
export const TEXT_WARN = 1800
export const NAME_MAX = 32
export const ROOM_MAX = 64
const ROOM_CHARS = /^[A-Za-z0-9_.:-]+$/

export function formatTime(ms) {
  const d = new Date(ms)
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
  if (d.toDateString() === new Date().toDateString()) return time
  return `${d.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${time}`
}

/** A stable, readable colour per name, so a conversation can be followed at a glance. */
export function nameColor(name) {
  let h = 0
  for (const ch of name) h = (h * 31 + ch.codePointAt(0)) % 360
  return `hsl(${h} 70% 72%)`
}

/** The display name inside a token (JWT `name`, else `sub`), so the page knows who it is before joining. */
export function nameFromToken(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')
    const claims = JSON.parse(atob(part))
    return String(claims.name ?? claims.sub ?? '')
  } catch {
    return ''
  }
}

/** Why a room name cannot be used, in words (undefined: it can). */
export function roomNameProblem(name) {
  if (name === '') return 'Type a room name.'
  if (name.length > ROOM_MAX)
    return `Room names are at most ${ROOM_MAX} characters (this one has ${name.length}).`
  if (/\s/.test(name)) {
    return `Room names cannot contain spaces: try "${name.trim().replace(/\s+/g, '-').slice(0, ROOM_MAX)}".`
  }
  if (!ROOM_CHARS.test(name)) return 'Room names use letters, digits and _ . : - only.'
  return undefined
}

/** Why a user name cannot be used (undefined: it can). */
export function userNameProblem(name) {
  if (name === '') return 'Pick a name first.'
  if (name.length > NAME_MAX) return `Names are at most ${NAME_MAX} characters (this one has ${name.length}).`
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'Names cannot contain control characters.'
  return undefined
}

/** What the composer says about a draft's length (undefined: nothing to say yet). */
export function lengthNote(length) {
  if (length > TEXT_MAX) {
    return {
      over: true,
      text: `${(length - TEXT_MAX).toLocaleString('en')} characters over the ${TEXT_MAX.toLocaleString('en')} limit: shorten it or send it in parts.`,
    }
  }
  if (length >= TEXT_WARN)
    return { over: false, text: `${(TEXT_MAX - length).toLocaleString('en')} characters left` }
  return undefined
}

export function describeError(error, { token = false } = {}) {
  switch (error?.code) {
    case 'USERNAME_TAKEN':
      return 'That name is already taken in this room. Pick another one.'
    case 'INVALID_USERNAME':
      return 'Names are 1–32 characters, without control characters.'
    case 'INVALID_ROOM':
      return 'Room names are 1–64 letters, digits or _ . : -'
    case 'FORBIDDEN':
      return 'You are not allowed in that room.'
    case 'ROOM_LIMIT':
      return 'You are in too many rooms; leave one first.'
    case 'RATE_LIMITED':
      return 'Slow down: too many messages at once.'
    case 'MESSAGE_TOO_LARGE':
      return `Messages are at most ${TEXT_MAX.toLocaleString('en')} characters.`
    case 'SERVER_SHUTDOWN':
      return 'The server is restarting; reconnecting as soon as it is back.'
    case 'USER_NOT_FOUND':
      return 'That user is not online.'
    case 'QUEUE_FULL':
      return 'Too many messages are waiting for the connection.'
    case 'DISCONNECTED':
      return 'The connection dropped before the server confirmed it.'
    case 'UNAUTHORIZED':
      return token
        ? 'The server refused the connection: the token is invalid or expired.'
        : 'The server refused the connection. Does it require an access token?'
    case 'CONNECT_FAILED':
      return 'Could not reach the chat server. Is it running?'
    default:
      return error?.message ?? String(error)
  }
}

const URL_RE = /\bhttps?:\/\/[^\s<>"]+/gi

/**
 * Splits text into plain parts and web links: `[{ text }, { text, href }, …]`. Only http(s) URLs
 * become links; trailing punctuation stays text ("see https://x.org." links without the dot).
 */
export function splitLinks(text) {
  const parts = []
  let last = 0
  for (const match of text.matchAll(URL_RE)) {
    let url = match[0]
    while (/[.,;:!?)\]}'*]$/.test(url)) {
      // A closing bracket belongs to the URL when it has its opening one inside (Wikipedia links).
      if (url.endsWith(')') && url.split('(').length > url.split(')').length - 1) break
      url = url.slice(0, -1)
    }
    let href
    try {
      const parsed = new URL(url)
      if (parsed.protocol === 'http:' || parsed.protocol === 'https:') href = parsed.href
    } catch {
      href = undefined
    }
    if (href === undefined) continue
    if (match.index > last) parts.push({ text: text.slice(last, match.index) })
    parts.push({ text: url, href })
    last = match.index + url.length
  }
  if (last < text.length) parts.push({ text: text.slice(last) })
  return parts
}
