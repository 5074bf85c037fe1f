-- Reject, cancel or expire a pending request (one past expiresAt expires whatever the mode).
-- KEYS: as in includes/record.lua. ARGV: 1 id, 2 retentionMs, 3 now, 4 mode (reject | cancel | expire),
-- 5 userId, 6 reason ('' = none).
--- @include "record"
local h = read('expiresAt', 'requesterId')
if not h then return {'not_found'} end
if h[1] ~= 'pending' then return {'not_pending', all()} end
local mode, due = ARGV[4], tonumber(ARGV[3]) >= tonumber(h[2])
if mode == 'expire' and not due then return {'not_due', all()} end
if due then finish('expired') return {'expired', all()} end
if mode == 'reject' and ARGV[5] == h[3] then return {'requester', all()} end
if mode == 'cancel' and ARGV[5] ~= h[3] then return {'not_requester', all()} end
redis.call('HSET', key, 'decidedBy', ARGV[5], 'decidedAt', ARGV[3])
if ARGV[6] ~= '' then redis.call('HSET', key, 'decisionReason', ARGV[6]) end
local state = mode == 'reject' and 'rejected' or 'cancelled'
finish(state)
return {state, all()}
