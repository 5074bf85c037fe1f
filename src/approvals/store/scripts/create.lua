-- Inserts a request; with a cap, refuses when a target is held by another open request or the
-- requester has that many open already. Variable key count.
-- Also enters the request in the history of each of its targets (newest kept, TTL kept at least as given).
-- KEYS: 1-9 as in includes/record.lua; 10..9+h the targets' histories (Keys.history); then records of
--   other requests the caller read beforehand (holders of these targets, the requester's open requests,
--   the oldest open and pending members).
-- ARGV: 1 id, 2 retentionMs, 3 ttlMs, 4 createdAt, 5 expiresAt, 6 requester cap ('' = no limits),
--   7 requesterId, 8 n (hold fields), 9..8+n hold fields `<action>:<userId>`, 9+n h (histories),
--   10+n history TTL ms, 11+n history members kept, then one request id per record key after the
--   histories (same order), then the record's field/value pairs.
--- @include "record"
if redis.call('EXISTS', key) == 1 then return {'exists'} end
local cap, member = ARGV[6], ARGV[7] .. ':' .. id
local n = tonumber(ARGV[8])
local fields = {}
for i = 1, n do fields[i] = ARGV[8 + i] end
local h, historyTtl, historyKept = tonumber(ARGV[9 + n]), tonumber(ARGV[10 + n]), tonumber(ARGV[11 + n])
local others = {}
for i = 10 + h, #KEYS do others[ARGV[11 + n + i - 9 - h]] = KEYS[i] end
local first = 12 + n + (#KEYS - 9 - h)

local openState = {['pending'] = true, ['approved'] = true, ['queued'] = true, ['running'] = true}
local stateOf = {}
local function state(other)
  if stateOf[other] == nil then stateOf[other] = redis.call('HGET', others[other], 'state') or false end
  return stateOf[other]
end
-- A request read beforehand is open by its record (gone or finished: stale); one that appeared since
-- (another create got in between) by the open index.
local function isOpen(other)
  if others[other] then return openState[state(other)] == true end
  return redis.call('ZSCORE', KEYS[2], other) ~= false
end

if cap ~= '' then
  local busy = {}
  for _, field in ipairs(fields) do
    local other = redis.call('HGET', KEYS[8], field)
    if other and isOpen(other) then table.insert(busy, field) table.insert(busy, other) end
  end
  if #busy > 0 then return {'already_open', busy} end
  -- The requester's members (Keys.requesterRange): `<requesterId>:<requestId>`.
  local prefix = ARGV[7] .. ':'
  local count = 0
  for _, m in ipairs(redis.call('ZRANGEBYLEX', KEYS[9], '[' .. prefix, '(' .. ARGV[7] .. ';')) do
    if isOpen(string.sub(m, #prefix + 1)) then count = count + 1 else redis.call('ZREM', KEYS[9], m) end
  end
  if count >= tonumber(cap) then return {'requester_cap', {tostring(count)}} end
end

redis.call('HSET', key, unpack(ARGV, first))
redis.call('PEXPIRE', key, ARGV[3])
if cap ~= '' then
  for _, field in ipairs(fields) do redis.call('HSET', KEYS[8], field, id) end
  redis.call('ZADD', KEYS[9], 0, member)
end
-- Index members whose record is gone (TTL) leave the indexes, so they stay bounded.
for other in pairs(others) do
  if not state(other) then
    redis.call('ZREM', KEYS[2], other)
    redis.call('ZREM', KEYS[3], other)
  end
end
redis.call('ZADD', KEYS[2], ARGV[4], id)
redis.call('ZADD', KEYS[3], ARGV[5], id)
redis.call('ZADD', KEYS[7], clock(), id)
-- Each target's history: the newest `historyKept` by createdAt, never expiring before its longest-lived record.
for i = 10, 9 + h do
  redis.call('ZADD', KEYS[i], ARGV[4], id)
  redis.call('ZREMRANGEBYRANK', KEYS[i], 0, -(historyKept + 1))
  if redis.call('PTTL', KEYS[i]) < historyTtl then redis.call('PEXPIRE', KEYS[i], historyTtl) end
end
return {'created', all()}
