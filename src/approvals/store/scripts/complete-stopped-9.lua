-- A stopped batch gets its result once its last running user has finished.
-- KEYS: as in includes/record.lua. ARGV: 1 id, 2 retentionMs, 3 outcome JSON.
--- @include "record"
local h = read('outcome')
if not h then return {'not_found'} end
if h[1] ~= 'stopped' or h[2] then return {'unchanged', all()} end
redis.call('HSET', key, 'outcome', ARGV[3])
redis.call('HINCRBY', key, 'version', 1)
return {'ok', all()}
