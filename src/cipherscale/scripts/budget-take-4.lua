-- A slot counts from its start until its end (provisional: start + callMax) plus one window, so a call
-- arriving late at the API still counts. Returns {1, 0} (taken) or {0, ms until worth asking again}.
-- KEYS: 1 log, 2 hold, 3 interactive waiters, 4 bulk waiters.
-- ARGV: 1 member, 2 limit, 3 priority, 4 callMaxMs, 5 windowMs.
--- @include "now"
local member, limit, priority = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local callMax, window = tonumber(ARGV[4]) * 1000, tonumber(ARGV[5]) * 1000
local held = tonumber(redis.call('GET', KEYS[2]) or '0')
if held > now then return {0, math.ceil((held - now) / 1000)} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
local mine = priority == 'interactive' and KEYS[3] or KEYS[4]
local count = redis.call('ZCARD', KEYS[1])
local urgent = redis.call('ZCARD', KEYS[3])
local queuedAt = redis.call('ZSCORE', mine, member)
if count < limit and (priority == 'interactive' or urgent == 0) then
  redis.call('ZADD', KEYS[1], now + callMax, member)
  redis.call('PEXPIRE', KEYS[1], math.ceil((callMax + window) / 1000) + 1000)
  redis.call('ZREM', mine, member)
  return {1, 0}
end
-- A waiter asking again keeps its place: only those told an earlier time are ahead of it.
local ahead = queuedAt and redis.call('ZCOUNT', mine, '-inf', '(' .. queuedAt) or redis.call('ZCARD', mine)
if priority == 'bulk' then ahead = ahead + urgent end
local j = count - limit + 1 + ahead
local at
if j >= 1 and j <= count then
  local e = redis.call('ZRANGE', KEYS[1], j - 1, j - 1, 'WITHSCORES')
  at = math.min(tonumber(e[2]), now) + window
else
  local last = now
  if count > 0 then
    local e = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
    last = math.min(tonumber(e[2]), now) + window
  end
  at = last + math.max(j - count, 1) * window / limit
end
local wait = math.max(1, math.ceil((at - now) / 1000))
redis.call('ZADD', mine, at + 200000, member)
if redis.call('PTTL', mine) < wait + 1000 then redis.call('PEXPIRE', mine, wait + 1000) end
return {0, wait}
