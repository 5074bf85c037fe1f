-- The worker's compare-and-set: moves to ARGV[3] only from one of ARGV[6..]; never out of a terminal state.
-- KEYS: as in includes/record.lua. ARGV: 1 id, 2 retentionMs, 3 to, 4 '1' to count an attempt,
-- 5 outcome JSON ('' = none), 6.. from states.
--- @include "record"
-- TERMINAL_STATES in approvals/types.ts.
local terminal = {
  ['succeeded'] = true, ['failed'] = true, ['rejected'] = true,
  ['cancelled'] = true, ['expired'] = true, ['stopped'] = true,
}
local h = read('outcomePosted')
if not h then return {'not_found'} end
local state = h[1]
if terminal[state] then return {'refused', all()} end
local allowed = false
for i = 6, #ARGV do if ARGV[i] == state then allowed = true end end
if not allowed then return {'refused', all()} end
local to = ARGV[3]
redis.call('HSET', key, 'state', to)
if ARGV[5] ~= '' then redis.call('HSET', key, 'outcome', ARGV[5]) end
if ARGV[4] == '1' or ARGV[4] == '-1' then redis.call('HINCRBY', key, 'attempts', tonumber(ARGV[4])) end
if terminal[to] then
  finish(to)
  if (to == 'succeeded' or to == 'failed') and h[2] ~= '1' then
    redis.call('ZADD', KEYS[6], clock(), id)
  end
else
  redis.call('HINCRBY', key, 'version', 1)
  redis.call('ZREM', KEYS[3], id)
  redis.call('ZADD', KEYS[5], 'NX', clock(), id)
  keepAtLeast(retention)
end
return {'ok', all()}
