import { randomFillSync } from 'node:crypto'

// One call to the system's CSPRNG per 4 KiB instead of two per connection (its id and resume
// token): each byte is handed out once, as `crypto.randomUUID` caches its entropy.
const pool = Buffer.alloc(4096)
let at = pool.length

/** `bytes` fresh random bytes (at most 4,096), base64url-encoded. */
export function randomId(bytes: number): string {
  if (at + bytes > pool.length) {
    randomFillSync(pool)
    at = 0
  }
  const id = pool.toString('base64url', at, at + bytes)
  at += bytes
  return id
}
