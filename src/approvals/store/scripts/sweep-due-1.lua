-- Members of one sweep index that have sat at least graceMs (Redis's clock), oldest first; each goes to
-- the end (now, after every other member), so the next page starts with the others.
-- KEYS: 1 the index. ARGV: 1 graceMs, 2 limit.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]), 'LIMIT', 0, ARGV[2])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')[2]
local at = (last and tonumber(last) >= now) and tonumber(last) + 1 or now
for _, member in ipairs(due) do
  redis.call('ZADD', KEYS[1], at, member)
  at = at + 1
end
return due
