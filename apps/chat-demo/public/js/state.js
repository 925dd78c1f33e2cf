// The page's state, and what of it outlives a reload: the name (localStorage) and, for this tab's
// session, the joined rooms and private conversations (sessionStorage).

export const state = {
  /** The Hubbub client (window.Hubbub.connect). */
  client: undefined,
  me: '',
  token: '',
  /** roomId → { room, entries, unread, divider, typing: Map<user, timer>, recovered } */
  rooms: new Map(),
  /** roomId → member count, from list_rooms (rooms this page has not joined) */
  counts: new Map(),
  /** peer → { entries, unread, divider } */
  dms: new Map(),
  /** { kind: 'room' | 'dm', id }, or undefined while the room picker shows */
  view: undefined,
  /** the room whose members the members panel shows while a DM is open */
  lastRoom: undefined,
}

const NAME_KEY = 'hubbub-chat.name'
const SESSION_KEY = 'hubbub-chat.session'
/** Private messages kept per conversation across a reload. */
const KEEP = 200

function read(storage, key) {
  try {
    const text = storage.getItem(key)
    return text === null ? undefined : JSON.parse(text)
  } catch {
    return undefined
  }
}

function write(storage, key, value) {
  try {
    if (value === undefined) storage.removeItem(key)
    else storage.setItem(key, JSON.stringify(value))
  } catch {
    // Storage full or disabled (private mode): the page works, it just forgets on reload.
  }
}

export const rememberedName = () => read(localStorage, NAME_KEY) ?? ''
export const rememberName = (name) => write(localStorage, NAME_KEY, name)

/** This tab's session: `{ me, rooms, view, dms: [[peer, entries]] }`, or undefined. */
export const savedSession = () => read(sessionStorage, SESSION_KEY)

export function saveSession() {
  if (!state.me) return
  const dms = [...state.dms].map(([peer, dm]) => [
    peer,
    dm.entries
      .filter((e) => e.kind === 'private' && e.status === undefined)
      .slice(-KEEP)
      .map(({ kind, from, text, timestamp }) => ({ kind, from, text, timestamp })),
  ])
  write(sessionStorage, SESSION_KEY, {
    me: state.me,
    rooms: [...state.rooms.keys()],
    view: state.view,
    dms,
  })
}

/** Signing out (or a refused sign-in) forgets the session, not the name. */
export const forgetSession = () => write(sessionStorage, SESSION_KEY, undefined)
