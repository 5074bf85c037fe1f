-- One approval of a pending request; the one that reaches requiredApprovals moves it to approved.
-- KEYS: as in includes/record.lua. ARGV: 1 id, 2 retentionMs, 3 now, 4 approverId; for a request with
-- `needs` (the policy's), 5 the version the caller judged, 6 the approver's credits (group ids,
-- comma-separated), 7 '1' when this approval reaches everything the needs ask (the caller's `progress`).
--- @include "record"
local h = read('expiresAt', 'requesterId', 'requiredApprovals', 'version')
if not h then return {'not_found'} end
if h[1] ~= 'pending' then return {'not_pending', all()} end
if tonumber(ARGV[3]) >= tonumber(h[2]) then finish('expired') return {'expired', all()} end
if ARGV[4] == h[3] then return {'self_approval', all()} end
-- One field per approver (APPROVAL_FIELD in store.ts): `approval:<userId>` → `<order>:<at>`, and with
-- needs `<order>:<at>:<credits>`.
local field = 'approval:' .. ARGV[4]
if redis.call('HEXISTS', key, field) == 1 then return {'duplicate', all()} end
local needs = redis.call('HEXISTS', key, 'needs') == 1
-- The caller's judgement holds for the version it read only: another approval since → read again.
if needs and (ARGV[5] or '') ~= '' and ARGV[5] ~= h[5] then return {'conflict', all()} end
local count = redis.call('HINCRBY', key, 'approvalCount', 1)
local value = count .. ':' .. ARGV[3]
if needs then value = value .. ':' .. (ARGV[6] or '') end
redis.call('HSET', key, field, value)
if count < tonumber(h[4]) or (needs and ARGV[7] ~= '1') then
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
