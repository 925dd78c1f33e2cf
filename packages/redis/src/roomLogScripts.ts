/*
 * The Lua scripts of `RedisRoomLog`. Every script gets KEYS[1] = the room's meta hash (fields
 * `epoch` and `offset`) and KEYS[2] = its stream, both hash-tagged with the room so they share
 * a Cluster slot, and ARGV[1] = an epoch to use if the room has none. A room whose meta hash is
 * gone (new, or lost with a Redis that restarted without persistence) gets that epoch at offset
 * 0 and its stale stream is dropped, so every node that touches the room sees the same new epoch.
 */

const ensure = `
local function ensure()
  local epoch = redis.call('HGET', KEYS[1], 'epoch')
  if not epoch then
    epoch = ARGV[1]
    redis.call('HSET', KEYS[1], 'epoch', epoch, 'offset', 0)
    redis.call('DEL', KEYS[2])
  end
  return epoch
end
`

/** Gives the frame the room's next offset and appends it under stream id `<offset>-0` (when `keep` > 0). */
const append = `
local function append(frame, keep)
  local offset = redis.call('HINCRBY', KEYS[1], 'offset', 1)
  if keep > 0 then
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', keep, offset .. '-0', 'f', frame)
  end
  return offset
end
`

/**
 * KEYS[3] the publish's key (`{<prefix>:<roomId>}:sent:<key>`, same slot), ARGV[2] channel,
 * ARGV[3] the encoded frame, ARGV[4] frames kept (0: none), ARGV[5] '1' when KEYS[3] is a real
 * key, ARGV[6] how long it is kept (ms). A key that is there holds the offset its first publish
 * got: that is answered, and nothing is appended or published. Otherwise assigns the next offset,
 * appends the frame under stream id `<offset>-0`, publishes `<epoch>\n<offset>\n<frame>` and
 * remembers the key, in one atomic step. Answers {epoch, offset}.
 */
export const publishScript = `${ensure}${append}
local epoch = ensure()
local keyed = ARGV[5] == '1'
if keyed then
  local seen = tonumber(redis.call('GET', KEYS[3]))
  -- A key older than the room's data (the meta hash was lost and the key was not) is ignored.
  if seen and seen <= tonumber(redis.call('HGET', KEYS[1], 'offset')) then return {epoch, seen} end
end
local offset = append(ARGV[3], tonumber(ARGV[4]))
redis.call('PUBLISH', ARGV[2], epoch .. '\\n' .. offset .. '\\n' .. ARGV[3])
if keyed then redis.call('SET', KEYS[3], offset, 'PX', ARGV[6]) end
return {epoch, offset}
`

/**
 * `publishScript` for the owner of a room placed by `RedisRoomPlacement`, checked against the
 * room's fence counter. KEYS[3] the fence counter (`{<prefix>:<roomId>}:fence`, same slot),
 * ARGV[2] channel, ARGV[3] the encoded frame, ARGV[4] frames kept, ARGV[5] the caller's fence.
 * Answers 0, appending and publishing nothing, when the counter is higher than the caller's fence
 * (another owner took the room over); otherwise appends and publishes as `publishScript` does and
 * answers {epoch, offset}, in one atomic step.
 *
 * KEYS[4] the room's published frames (a hash, `{<prefix>:<roomId>}:published`) and KEYS[5] their
 * order (a list), ARGV[6] the key of the client frame whose run publishes this ('' for none) and
 * ARGV[7] how many such keys to keep: in the same step, the hash maps the key to `<epoch> <offset>`
 * (the last publish of that frame), the oldest keys past ARGV[7] go. A room's next owner that
 * replays that offset knows the frame was applied even when its answer was never committed.
 */
export const publishFencedScript = `${ensure}${append}
if tonumber(redis.call('GET', KEYS[3]) or '0') > tonumber(ARGV[5]) then return 0 end
local epoch = ensure()
local offset = append(ARGV[3], tonumber(ARGV[4]))
redis.call('PUBLISH', ARGV[2], epoch .. '\\n' .. offset .. '\\n' .. ARGV[3])
if ARGV[6] ~= '' then
  if redis.call('HSET', KEYS[4], ARGV[6], epoch .. ' ' .. offset) == 1 then
    redis.call('RPUSH', KEYS[5], ARGV[6])
    local frames = tonumber(ARGV[7])
    while redis.call('LLEN', KEYS[5]) > frames do
      redis.call('HDEL', KEYS[4], redis.call('LPOP', KEYS[5]))
    end
  end
end
return {epoch, offset}
`

/** Answers the room's position {epoch, offset}. */
export const positionScript = `${ensure}
local epoch = ensure()
return {epoch, tonumber(redis.call('HGET', KEYS[1], 'offset'))}
`

/**
 * ARGV[2] since offset ('' for none), ARGV[3] since epoch, ARGV[4] limit, ARGV[5] frames kept.
 * Answers {epoch, top, recovered (1/0), entries} where entries are XRANGE entries. The log keeps
 * exactly the last `kept` offsets (the stream is trimmed approximately, so it may hold more; the
 * older ones are not served), which makes recovery the same as in memory.
 */
export const readScript = `${ensure}
local epoch = ensure()
local top = tonumber(redis.call('HGET', KEYS[1], 'offset'))
local keep = tonumber(ARGV[5])
local limit = tonumber(ARGV[4])
local oldest = math.max(1, top - keep + 1)
if ARGV[2] ~= '' then
  local since = tonumber(ARGV[2])
  if ARGV[3] == epoch and since and since >= 0 and since <= top and top - since <= keep then
    if since == top then return {epoch, top, 1, {}} end
    local entries = redis.call('XRANGE', KEYS[2], (since + 1) .. '-0', '+')
    local first = entries[1]
    if first and first[1] == (since + 1) .. '-0' and #entries == top - since then
      return {epoch, top, 1, entries}
    end
  end
  local from = math.max(oldest, top - limit + 1)
  if from > top then return {epoch, top, 0, {}} end
  return {epoch, top, 0, redis.call('XRANGE', KEYS[2], from .. '-0', '+')}
end
local from = math.max(oldest, top - limit + 1)
if from > top then return {epoch, top, 1, {}} end
return {epoch, top, 1, redis.call('XRANGE', KEYS[2], from .. '-0', '+')}
`

/**
 * `publishScript` for several frames of one room at once (those a node published in one turn
 * of its event loop). KEYS[3..] one publish key per frame (same slot), ARGV[2] channel, ARGV[3]
 * frames kept, ARGV[4] how long keys are kept (ms), then per frame ARGV[5 + 2i] '1' when its
 * key is real and ARGV[6 + 2i] the encoded frame. Each frame is handled as `publishScript` would,
 * in order; the new ones get consecutive offsets and go out in ONE message,
 * `<epoch>\n<first offset>\n*<lengths, comma-separated>\n<frames, concatenated>`, so each
 * subscriber parses and wakes once per batch. Answers {epoch, offset of each frame}.
 */
export const publishBatchScript = `${ensure}${append}
local epoch = ensure()
local keep = tonumber(ARGV[3])
local offsets = {}
local lengths = {}
local frames = {}
local first = nil
for i = 3, #KEYS do
  local keyed = ARGV[2 * i - 1] == '1'
  local frame = ARGV[2 * i]
  local seen = nil
  if keyed then
    seen = tonumber(redis.call('GET', KEYS[i]))
    if seen and seen > tonumber(redis.call('HGET', KEYS[1], 'offset')) then seen = nil end
  end
  if seen then
    offsets[#offsets + 1] = seen
  else
    local offset = append(frame, keep)
    if not first then first = offset end
    if keyed then redis.call('SET', KEYS[i], offset, 'PX', ARGV[4]) end
    offsets[#offsets + 1] = offset
    lengths[#lengths + 1] = #frame
    frames[#frames + 1] = frame
  end
end
if #frames == 1 then
  redis.call('PUBLISH', ARGV[2], epoch .. '\\n' .. first .. '\\n' .. frames[1])
elseif #frames > 1 then
  redis.call('PUBLISH', ARGV[2], epoch .. '\\n' .. first .. '\\n*' .. table.concat(lengths, ',') .. '\\n' .. table.concat(frames))
end
return {epoch, unpack(offsets)}
`
