/*
 * The Lua scripts of `RedisConnectionRegistry`. Every key of a registry shares one hash tag,
 * `{<prefix>:registry}` (ARGV[1]), so each script runs on one Cluster slot; KEYS[1] is its
 * `nodes` sorted set (node → when its TTL runs out). Per node: `conns:<node>` (connection id →
 * its entry as JSON `[userId, orgId, name]`, '' for none) and the counts derived from it,
 * `users:<node>`, `orgs:<node>`, `orgusers:<node>` (field `[orgId, userId]` as JSON) and
 * `names:<node>`; across nodes: `where` (connection id → node) and `seen` (node → last beat).
 * Time is Redis' own (TIME), so nodes with skewed clocks agree on who is alive.
 */
const common = `
local base = ARGV[1]
local function key(name, node)
  if node then return base .. ':' .. name .. ':' .. node end
  return base .. ':' .. name
end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function change(node, encoded, by)
  local e = cjson.decode(encoded)
  local user, org, name = e[1], e[2], e[3]
  local function bump(hash, field)
    local n = redis.call('HINCRBY', key(hash, node), field, by)
    if n <= 0 then redis.call('HDEL', key(hash, node), field) end
  end
  if user ~= '' then bump('users', user) end
  if org ~= '' then bump('orgs', org) end
  if user ~= '' and org ~= '' then bump('orgusers', cjson.encode({ org, user })) end
  if name ~= '' then bump('names', name) end
end
local function drop(node)
  local ids = redis.call('HKEYS', key('conns', node))
  for _, id in ipairs(ids) do
    if redis.call('HGET', key('where'), id) == node then redis.call('HDEL', key('where'), id) end
  end
  redis.call('DEL', key('conns', node), key('users', node), key('orgs', node), key('orgusers', node), key('names', node))
  redis.call('ZREM', KEYS[1], node)
  redis.call('HDEL', key('seen'), node)
end
local function purge(now)
  local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
  for _, node in ipairs(dead) do drop(node) end
end
local function touch(node, ttl)
  local now = now_ms()
  local known = redis.call('ZSCORE', KEYS[1], node)
  redis.call('ZADD', KEYS[1], now + ttl, node)
  redis.call('HSET', key('seen'), node, now)
  return known
end
`

/** ARGV[2] node, ARGV[3] TTL ms, ARGV[4] connection id, ARGV[5] entry JSON. A rename replaces the entry. */
export const addScript = `${common}
local node, id = ARGV[2], ARGV[4]
touch(node, tonumber(ARGV[3]))
local old = redis.call('HGET', key('conns', node), id)
if old then change(node, old, -1) end
redis.call('HSET', key('conns', node), id, ARGV[5])
change(node, ARGV[5], 1)
redis.call('HSET', key('where'), id, node)
return 1
`

/** ARGV[2] node, ARGV[3] connection id. */
export const removeScript = `${common}
local node, id = ARGV[2], ARGV[3]
local old = redis.call('HGET', key('conns', node), id)
if not old then return 0 end
change(node, old, -1)
redis.call('HDEL', key('conns', node), id)
if redis.call('HGET', key('where'), id) == node then redis.call('HDEL', key('where'), id) end
return 1
`

/** ARGV[2] the count hash (`users`, `orgs`, `orgusers`, `names`), ARGV[3] its field. Live nodes only. */
export const countScript = `${common}
purge(now_ms())
local total = 0
for _, node in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  total = total + (tonumber(redis.call('HGET', key(ARGV[2], node), ARGV[3])) or 0)
end
return total
`

/** ARGV[2] connection id. Answers its node, or false. */
export const locateScript = `${common}
purge(now_ms())
local node = redis.call('HGET', key('where'), ARGV[2])
if node and redis.call('ZSCORE', KEYS[1], node) then return node end
return false
`

/** ARGV[2] node, ARGV[3] TTL ms. Answers 1 when the node was known, 0 when it was new (or forgotten). */
export const heartbeatScript = `${common}
purge(now_ms())
if touch(ARGV[2], tonumber(ARGV[3])) then return 1 end
return 0
`

/** Answers a flat list: node, connection count, last beat (ms), for every live node. */
export const nodesScript = `${common}
purge(now_ms())
local out = {}
for _, node in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  table.insert(out, node)
  table.insert(out, redis.call('HLEN', key('conns', node)))
  table.insert(out, tonumber(redis.call('HGET', key('seen'), node)) or 0)
end
return out
`

/** ARGV[2] node. */
export const dropNodeScript = `${common}
drop(ARGV[2])
return 1
`
