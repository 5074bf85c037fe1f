-- A lease for one bulk pre-check, unless the requester has ARGV[3] running. Returns {granted, count}.
-- KEYS: 1 the requester's leases (member → deadline, Redis's clock). ARGV: 1 lease id, 2 lease ms, 3 max.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local count = redis.call('ZCARD', KEYS[1])
if count >= tonumber(ARGV[3]) then return {0, count} end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1, count + 1}
