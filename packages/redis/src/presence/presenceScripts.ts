/**
 * The presence store's Lua scripts. Each change of a room runs as one script, so the check, the
 * change, the counts it answers and the diff it publishes are one atomic step: two nodes racing
 * for a name, or purging the same dead node, cannot both win. Keys are listed in `presenceKeys`.
 */

/** Redis's clock in ms, so every node measures heartbeats against the same one. */
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`

/** Keeps the room's entry in the rooms hash, and publishes a diff (`left`/`joined` are lists). */
const SETTLE = `local function settle(users, names, rooms, room)
  local count = redis.call('ZCARD', names)
  if count == 0 then
    redis.call('DEL', users)
    redis.call('HDEL', rooms, room)
  else
    redis.call('HSET', rooms, room, count)
  end
  return count
end
local function publish(channel, room, node, joined, left, count)
  redis.call('PUBLISH', channel, cjson.encode({ roomId = room, node = node, joined = joined, left = left, count = count }))
end`

/**
 * KEYS: users, names, entries(node), rooms, nodeRooms(node).
 * ARGV: room, key, name, node, connection, channel.
 * Returns {1, count} (first connection), {0, count} (another one, or already there), {-1, 0} (taken).
 */
export const ADD = `${SETTLE}
local users, names, entries, rooms, nodeRooms = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local room, key, name, node, conn, channel = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local holder = redis.call('HGET', users, 'n:' .. name)
if holder and holder ~= key then return { -1, 0 } end
local shown = redis.call('HGET', users, 'k:' .. key)
if shown and shown ~= name then return { -1, 0 } end
if redis.call('HSETNX', entries, conn .. '\\0' .. key, key) == 0 then
  return { 0, redis.call('ZCARD', names) }
end
redis.call('SADD', nodeRooms, room)
if redis.call('HINCRBY', users, 'c:' .. key, 1) > 1 then
  return { 0, redis.call('ZCARD', names) }
end
local seq = redis.call('HINCRBY', users, 'seq', 1)
redis.call('HSET', users, 'n:' .. name, key, 'k:' .. key, name)
redis.call('ZADD', names, seq, name)
local count = settle(users, names, rooms, room)
publish(channel, room, node, { name }, {}, count)
return { 1, count }`

/**
 * KEYS: users, names, entries(node), rooms, nodeRooms(node).
 * ARGV: room, key, node, connection, channel.
 * Returns {1, count} (the user's last connection went), or {0, count}.
 */
export const REMOVE = `${SETTLE}
local users, names, entries, rooms, nodeRooms = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local room, key, node, conn, channel = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
if redis.call('HDEL', entries, conn .. '\\0' .. key) == 0 then
  return { 0, redis.call('ZCARD', names) }
end
if redis.call('EXISTS', entries) == 0 then redis.call('SREM', nodeRooms, room) end
if redis.call('HINCRBY', users, 'c:' .. key, -1) > 0 then
  return { 0, redis.call('ZCARD', names) }
end
local name = redis.call('HGET', users, 'k:' .. key)
redis.call('HDEL', users, 'c:' .. key, 'k:' .. key)
if not name then return { 0, settle(users, names, rooms, room) } end
redis.call('HDEL', users, 'n:' .. name)
redis.call('ZREM', names, name)
local count = settle(users, names, rooms, room)
publish(channel, room, node, {}, { name }, count)
return { 1, count }`

/**
 * Removes every entry of a node in one room; users left with no connection leave, in join order,
 * in one published diff. With `expiredOnly` it does nothing while the node's heartbeat key exists
 * (the node beat again since it was found silent).
 * KEYS: users, names, entries(node), rooms, nodeRooms(node), heartbeat(node).
 * ARGV: room, node, channel, expiredOnly ('1' or '0').
 * Returns how many users left.
 */
export const PURGE_ROOM = `${SETTLE}
local users, names, entries, rooms, nodeRooms, beat = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local room, node, channel = ARGV[1], ARGV[2], ARGV[3]
if ARGV[4] == '1' and redis.call('EXISTS', beat) == 1 then return 0 end
local held = redis.call('HVALS', entries)
redis.call('DEL', entries)
redis.call('SREM', nodeRooms, room)
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
if #gone == 0 then return 0 end
table.sort(gone, function(a, b) return a[1] < b[1] end)
local left = {}
for i, g in ipairs(gone) do left[i] = g[2] end
local count = settle(users, names, rooms, room)
publish(channel, room, node, {}, left, count)
return #left`

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
