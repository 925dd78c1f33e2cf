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

/**
 * KEYS: n leases. ARGV: their holder values (n), then the TTL ms. Renews each lease still held
 * with its value; answers 1 or 0 per lease, in order. One round trip for all of a node's rooms
 * (on a single Redis: on a Cluster the keys are in other slots, and each lease is renewed alone).
 */
export const RENEW_MANY = `
local out = {}
local ttl = ARGV[#KEYS + 1]
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[i] then
    out[i] = redis.call('PEXPIRE', key, ttl)
  else
    out[i] = 0
  end
end
return out
`

/**
 * KEYS: a node's liveness key (`<prefix>:placement:alive:<nodeId>`). ARGV: TTL ms. Renews it;
 * answers 1 when it was still there, 0 when it had run out (or never was).
 */
export const ALIVE = `
local was = redis.call('EXISTS', KEYS[1])
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
return was
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
