-- The final outcome is in Slack: the request leaves the unposted index.
-- KEYS: as in includes/record.lua. ARGV: 1 id, 2 retentionMs.
--- @include "record"
if redis.call('EXISTS', key) == 0 or redis.call('HGET', key, 'outcomePosted') == '1' then return {'unchanged'} end
redis.call('HSET', key, 'outcomePosted', '1')
redis.call('HINCRBY', key, 'version', 1)
redis.call('ZREM', KEYS[6], id)
return {'ok'}
