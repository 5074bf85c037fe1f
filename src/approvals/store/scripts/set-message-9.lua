-- Where the approval message lives.
-- KEYS: as in includes/record.lua. ARGV: 1 id, 2 retentionMs, 3 channelId, 4 ts.
--- @include "record"
if redis.call('EXISTS', key) == 0 then return {'not_found'} end
redis.call('HSET', key, 'channelId', ARGV[3], 'messageTs', ARGV[4])
redis.call('HINCRBY', key, 'version', 1)
return {'ok', all()}
