-- Shared by every record script. KEYS: 1 record, 2 open, 3 pending, 4 recent, 5 working, 6 unposted,
-- 7 fresh, 8 holds, 9 requesters. ARGV[1] id, ARGV[2] retentionMs.
local key, id, retention = KEYS[1], ARGV[1], tonumber(ARGV[2])
local function all() return redis.call('HGETALL', key) end
-- Redis's clock in ms, read once per script.
local clockMs
local function clock()
  if not clockMs then
    local t = redis.call('TIME')
    clockMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return clockMs
end
local function keepAtLeast(ms)
  if redis.call('PTTL', key) < ms then redis.call('PEXPIRE', key, ms) end
end
-- Frees this request's one-open-per-target holds (only those still naming it) and its requester slot.
-- Hold fields are `<action>:<userId>`, requester members `<requesterId>:<requestId>` (src/keys.ts).
local function release()
  local h = redis.call('HMGET', key, 'holds', 'action', 'requesterId')
  if h[1] then
    for target in string.gmatch(h[1], '[^,]+') do
      local field = h[2] .. ':' .. target
      if redis.call('HGET', KEYS[8], field) == id then redis.call('HDEL', KEYS[8], field) end
    end
  end
  if h[3] then redis.call('ZREM', KEYS[9], h[3] .. ':' .. id) end
end
-- The recent index keeps this many (RECENT_KEPT in store.ts).
local RECENT_KEPT = 200
local function finish(state)
  release()
  redis.call('HSET', key, 'state', state)
  redis.call('HINCRBY', key, 'version', 1)
  redis.call('ZREM', KEYS[2], id)
  redis.call('ZREM', KEYS[3], id)
  redis.call('ZREM', KEYS[5], id)
  redis.call('ZREM', KEYS[7], id)
  redis.call('PEXPIRE', key, retention)
  -- Scored by Redis's clock in ms, kept strictly increasing so the order is the order of finishing.
  local at = clock()
  local last = redis.call('ZRANGE', KEYS[4], -1, -1, 'WITHSCORES')[2]
  if last and tonumber(last) >= at then at = tonumber(last) + 1 end
  redis.call('ZADD', KEYS[4], at, id)
  redis.call('ZREMRANGEBYRANK', KEYS[4], 0, -(RECENT_KEPT + 1))
end
-- The record's fields, or nil when there is no record. A record without a state (unreadable) still
-- comes back, so the caller sees it as corrupt rather than gone.
local function read(...)
  local h = redis.call('HMGET', key, 'state', ...)
  if h[1] or redis.call('EXISTS', key) == 1 then return h end
  return nil
end
