// Which room messages are the same one. No DOM here.
//
// A room's offsets count within its history epoch: when the server loses a room's history (an
// in-memory server restarted, a shared log reset) the epoch changes and offsets start again at 1.
// An offset alone would then match a new message to an older one still on screen (hiding the new
// one, or taking a just-sent bubble for a copy), so the page keys a message by epoch and offset.

/**
 * Whether two room messages (`{ epoch?, offset?, from, text, timestamp }`) are the same message:
 * the same offset in the same epoch; where either epoch is unknown, the same offset, sender, time
 * and text. A message without an offset (still sending) is the same as none.
 */
export function sameMessage(a, b) {
  if (a.offset === undefined || b.offset === undefined || a.offset !== b.offset) return false
  if (a.epoch !== undefined && b.epoch !== undefined) return a.epoch === b.epoch
  return a.from === b.from && a.timestamp === b.timestamp && a.text === b.text
}

/** Whether `entries` already holds `message` (see `sameMessage`), other than `except`. */
export function holds(entries, message, except) {
  return entries.some((e) => e !== except && e.kind === 'message' && sameMessage(e, message))
}
