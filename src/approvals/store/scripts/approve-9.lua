-- One approval of a pending request; the one that reaches requiredApprovals moves it to approved.
-- KEYS: as in includes/record.lua. ARGV: 1 id, 2 retentionMs, 3 now, 4 approverId.
--- @include "record"
local h = read('expiresAt', 'requesterId', 'requiredApprovals')
if not h then return {'not_found'} end
if h[1] ~= 'pending' then return {'not_pending', all()} end
if tonumber(ARGV[3]) >= tonumber(h[2]) then finish('expired') return {'expired', all()} end
if ARGV[4] == h[3] then return {'self_approval', all()} end
-- One field per approver (APPROVAL_FIELD in store.ts): `approval:<userId>` → `<order>:<at>`.
local field = 'approval:' .. ARGV[4]
if redis.call('HEXISTS', key, field) == 1 then return {'duplicate', all()} end
local count = redis.call('HINCRBY', key, 'approvalCount', 1)
redis.call('HSET', key, field, count .. ':' .. ARGV[3])
if count < tonumber(h[4]) then
  redis.call('HINCRBY', key, 'version', 1)
  return {'counted', all()}
end
redis.call('HSET', key, 'state', 'approved')
redis.call('HINCRBY', key, 'version', 1)
redis.call('ZREM', KEYS[3], id)
redis.call('ZADD', KEYS[5], clock(), id)
redis.call('ZREM', KEYS[7], id)
keepAtLeast(retention)
return {'quorum', all()}
