-- A batch on its way (approved, queued, running) becomes 'stopped'.
-- KEYS: as in includes/record.lua. ARGV: 1 id, 2 retentionMs, 3 now, 4 userId.
--- @include "record"
local h = read('batch')
if not h then return {'not_found'} end
if not h[2] then return {'not_batch', all()} end
local state = h[1]
if state ~= 'approved' and state ~= 'queued' and state ~= 'running' then return {'not_running', all()} end
redis.call('HSET', key, 'decidedBy', ARGV[4], 'decidedAt', ARGV[3])
finish('stopped')
redis.call('ZADD', KEYS[6], clock(), id)
return {'stopped', all()}
