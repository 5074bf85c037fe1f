-- Where a batch's summary reply lives; only the first is kept.
-- KEYS: as in includes/record.lua. ARGV: 1 id, 2 retentionMs, 3 ts.
--- @include "record"
if redis.call('EXISTS', key) == 0 then return {'not_found'} end
if redis.call('HSETNX', key, 'summaryTs', ARGV[3]) == 0 then return {'exists', all()} end
redis.call('HINCRBY', key, 'version', 1)
return {'ok', all()}
