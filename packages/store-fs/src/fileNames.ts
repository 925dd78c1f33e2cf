import { createHash } from 'node:crypto'

/**
 * A file name for a room id that is safe on every file system (case-insensitive ones too):
 * `[a-z0-9-]` stay, every other byte of the id's UTF-8 becomes `_xx`. A long id becomes a prefix
 * plus its SHA-256, so names stay under the usual 255-byte limit.
 */
export function roomFileName(roomId: string): string {
  let out = ''
  for (const byte of Buffer.from(roomId, 'utf8')) {
    const c = String.fromCharCode(byte)
    out += /[a-z0-9-]/.test(c) ? c : `_${byte.toString(16).padStart(2, '0')}`
  }
  if (out.length <= 160) return `r-${out}`
  return `h-${out.slice(0, 80)}-${createHash('sha256').update(roomId).digest('hex')}`
}
