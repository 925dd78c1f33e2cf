/**
 * The lease of an owned room: `{<prefix>:<roomId>}:lease` holds `<fence> <nodeId>` with a TTL, and
 * `{<prefix>:<roomId>}:fence` counts owner changes (it never expires, so a fence only grows).
 * Taking a free lease and drawing its fence is one script: no owner ever holds a fence another
 * owner drew.
 */

/** KEYS: lease, fence. ARGV: node id, TTL ms. Answers `{1, value}` when taken, `{0, holder}` when held. */
export const ACQUIRE = `
local held = redis.call('GET', KEYS[1])
if held then return {0, held} end
local fence = redis.call('INCR', KEYS[2])
local value = fence .. ' ' .. ARGV[1]
redis.call('SET', KEYS[1], value, 'NX', 'PX', ARGV[2])
return {1, value}
`

/** KEYS: lease. ARGV: the holder's value, TTL ms. Extends the lease only while it is still this holder's. */
export const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`

/** KEYS: lease. ARGV: the holder's value. Gives the lease up, only when it is still this holder's. */
export const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`

/** A lease value: the owner's fence and node id. */
export interface LeaseHolder {
  readonly fence: number
  readonly node: string
}

export function parseLease(value: string): LeaseHolder {
  const space = value.indexOf(' ')
  return { fence: Number(value.slice(0, space)), node: value.slice(space + 1) }
}
