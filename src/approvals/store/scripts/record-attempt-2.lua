-- This request is about to call Cipherscale to change one user: recorded before the call, so a re-run
-- after a lost outcome knows the change may be its own. Lives at least as long as the request.
-- KEYS: 1 attempted hash, 2 record. ARGV: 1 userId, 2 marker (`<request id>:<epoch ms>`), 3 retentionMs.
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local ttl = math.max(redis.call('PTTL', KEYS[2]), tonumber(ARGV[3]))
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
