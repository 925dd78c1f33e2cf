/**
 * The presence store's Lua scripts. Each change of a room runs as one script, so the check, the
 * change, the counts it answers and the diff it publishes are one atomic step: two nodes racing
 * for a name, or purging the same dead node, cannot both win. Every script touches the keys of
 * one slot only (a room's, or the store's `{prefix}`), so they run on a Redis Cluster too; the
 * store-wide bookkeeping (rooms index, which rooms a node is in) is a step of its own. Keys are
 * listed in `presenceKeys`.
 */

/** Redis's clock in ms, so every node measures heartbeats against the same one. */
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`

/**
 * Settles a room after a change: drops its users hash once nobody is left, and answers the
 * count with the change's version (a string, since Lua would print a large number as 1e+15):
 * Redis' clock in µs, above the room's last one, so the rooms index (kept in another slot by
 * `INDEX`) can refuse a late write. Publishes the diff (`left`/`joined` are lists).
 */
const SETTLE = `local function settle(users, names)
  local t = redis.call('TIME')
  local v = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local last = tonumber(redis.call('HGET', users, 'ver') or '0') or 0
  if last >= v then v = last + 1 end
  local version = string.format('%.0f', v)
  local count = redis.call('ZCARD', names)
  if count == 0 then
    redis.call('DEL', users)
  else
    redis.call('HSET', users, 'ver', version)
  end
  return count, version
end
local function publish(channel, room, node, joined, left, count)
  redis.call('PUBLISH', channel, cjson.encode({ roomId = room, node = node, joined = joined, left = left, count = count }))
end`

/**
 * KEYS (one slot, the room's): users, names, entries(node).
 * ARGV: room, key, name, node, connection, channel.
 * Returns {state, count, version, held}: state 1 (first connection), 0 (another one, or
 * already there), -1 (taken); version '' when the user list did not change; held 1 while the
 * node has entries in the room.
 */
export const ADD = `${SETTLE}
local users, names, entries = KEYS[1], KEYS[2], KEYS[3]
local room, key, name, node, conn, channel = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local holder = redis.call('HGET', users, 'n:' .. name)
if holder and holder ~= key then return { -1, 0, '', redis.call('EXISTS', entries) } end
local shown = redis.call('HGET', users, 'k:' .. key)
if shown and shown ~= name then return { -1, 0, '', redis.call('EXISTS', entries) } end
if redis.call('HSETNX', entries, conn .. '\\0' .. key, key) == 0 then
  return { 0, redis.call('ZCARD', names), '', 1 }
end
if redis.call('HINCRBY', users, 'c:' .. key, 1) > 1 then
  return { 0, redis.call('ZCARD', names), '', 1 }
end
local seq = redis.call('HINCRBY', users, 'seq', 1)
redis.call('HSET', users, 'n:' .. name, key, 'k:' .. key, name)
redis.call('ZADD', names, seq, name)
local count, version = settle(users, names)
publish(channel, room, node, { name }, {}, count)
return { 1, count, version, 1 }`

/**
 * KEYS (one slot, the room's): users, names, entries(node).
 * ARGV: room, key, node, connection, channel.
 * Returns {last, count, version, held}: last 1 when the user's last connection went; version
 * '' when the user list did not change; held 1 while the node has entries in the room.
 */
export const REMOVE = `${SETTLE}
local users, names, entries = KEYS[1], KEYS[2], KEYS[3]
local room, key, node, conn, channel = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
if redis.call('HDEL', entries, conn .. '\\0' .. key) == 0 then
  return { 0, redis.call('ZCARD', names), '', redis.call('EXISTS', entries) }
end
local held = redis.call('EXISTS', entries)
if redis.call('HINCRBY', users, 'c:' .. key, -1) > 0 then
  return { 0, redis.call('ZCARD', names), '', held }
end
local name = redis.call('HGET', users, 'k:' .. key)
redis.call('HDEL', users, 'c:' .. key, 'k:' .. key)
if not name then
  local count, version = settle(users, names)
  return { 0, count, version, held }
end
redis.call('HDEL', users, 'n:' .. name)
redis.call('ZREM', names, name)
local count, version = settle(users, names)
publish(channel, room, node, {}, { name }, count)
return { 1, count, version, held }`

/**
 * Removes every entry of a node in one room; users left with no connection leave, in join order,
 * in one published diff. Whoever runs it first reports the leavers; a second run finds nothing.
 * KEYS (one slot, the room's): users, names, entries(node).
 * ARGV: room, node, channel.
 * Returns {left, count, version} (version '' when nobody left).
 */
export const PURGE_ROOM = `${SETTLE}
local users, names, entries = KEYS[1], KEYS[2], KEYS[3]
local room, node, channel = ARGV[1], ARGV[2], ARGV[3]
local held = redis.call('HVALS', entries)
redis.call('DEL', entries)
local gone = {}
for _, key in ipairs(held) do
  if redis.call('HINCRBY', users, 'c:' .. key, -1) <= 0 then
    local name = redis.call('HGET', users, 'k:' .. key)
    redis.call('HDEL', users, 'c:' .. key, 'k:' .. key)
    if name then
      gone[#gone + 1] = { tonumber(redis.call('ZSCORE', names, name)) or 0, name }
      redis.call('HDEL', users, 'n:' .. name)
      redis.call('ZREM', names, name)
    end
  end
end
if #gone == 0 then return { 0, redis.call('ZCARD', names), '' } end
table.sort(gone, function(a, b) return a[1] < b[1] end)
local left = {}
for i, g in ipairs(gone) do left[i] = g[2] end
local count, version = settle(users, names)
publish(channel, room, node, {}, left, count)
return { #left, count, version }`

/**
 * Writes a room's user count into the rooms index, unless a later version was written already
 * (two nodes changing one room race to it). Versions of rooms emptied more than `horizonMs` ago
 * are forgotten, and a write that old is refused.
 * KEYS (one slot, the store's): rooms, roomVersions, emptied. ARGV: room, count, version, horizonMs.
 * Returns 1 when written.
 */
export const INDEX = `${NOW}
local rooms, versions, emptied = KEYS[1], KEYS[2], KEYS[3]
local room, count, v, horizon = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
for _, old in ipairs(redis.call('ZRANGEBYSCORE', emptied, '-inf', now - horizon, 'LIMIT', 0, 100)) do
  redis.call('HDEL', versions, old)
  redis.call('ZREM', emptied, old)
end
local last = tonumber(redis.call('HGET', versions, room))
if last and last >= v then return 0 end
if not last and v < (now - horizon) * 1000 then return 0 end
redis.call('HSET', versions, room, ARGV[3])
if count > 0 then
  redis.call('HSET', rooms, room, count)
  redis.call('ZREM', emptied, room)
else
  redis.call('HDEL', rooms, room)
  redis.call('ZADD', emptied, now, room)
end
return 1`

/**
 * KEYS: heartbeat(node), nodes. ARGV: node, ttlMs.
 * The key expires with the TTL; the sorted set remembers the node so a silent one can be found.
 */
export const HEARTBEAT = `${NOW}
local ttl = tonumber(ARGV[2])
redis.call('SET', KEYS[1], '1', 'PX', ttl)
redis.call('ZADD', KEYS[2], now + ttl, ARGV[1])
return 1`

/** KEYS: nodes. ARGV: heartbeat key prefix. Returns the nodes whose heartbeat ran out. */
export const EXPIRED = `${NOW}
local silent = {}
for _, node in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)) do
  if redis.call('EXISTS', ARGV[1] .. node) == 0 then silent[#silent + 1] = node end
end
return silent`

/**
 * Forgets a node once it has no entries left. KEYS: nodeRooms(node), nodes, heartbeat(node).
 * ARGV: node, expiredOnly. Returns 1 when forgotten, 0 when entries remain, -1 when it beat again.
 */
export const FORGET_NODE = `if ARGV[2] == '1' and redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[3])
return 1`
