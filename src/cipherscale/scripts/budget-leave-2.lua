-- A caller that gave up stops queuing.
-- KEYS: 1 interactive waiters, 2 bulk waiters. ARGV: 1 member.
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
