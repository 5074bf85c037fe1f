-- The final outcome is in Slack: the request leaves the unposted index.
-- KEYS: as in includes/record.lua. ARGV: 1 id, 2 retentionMs.
--- @include "record"
local h = read('outcomePosted')
if not h or h[2] == '1' then return {'unchanged'} end
redis.call('HSET', key, 'outcomePosted', '1')
redis.call('HINCRBY', key, 'version', 1)
redis.call('ZREM', KEYS[6], id)
return {'ok'}
