-- How one user of a batch ended: the first outcome stands; the results live at least as long as the request.
-- KEYS: 1 results hash, 2 record. ARGV: 1 userId, 2 outcome JSON, 3 retentionMs.
local first = redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
local ttl = math.max(redis.call('PTTL', KEYS[2]), tonumber(ARGV[3]))
redis.call('PEXPIRE', KEYS[1], ttl)
return {first, redis.call('HGET', KEYS[2], 'action') or ''}
