-- Cancel a scheduled change that is approved and waiting for its time; the scheduled start (the
-- transition approved → queued) and this script exclude each other, so exactly one of them wins.
-- Who may cancel (the requester or an approver) is checked by the caller, which passes the user.
-- KEYS: as in includes/record.lua. ARGV: 1 id, 2 retentionMs, 3 now, 4 userId.
--- @include "record"
local h = read('runAt')
if not h then return {'not_found'} end
if h[1] ~= 'approved' or not h[2] then return {'not_waiting', all()} end
redis.call('HSET', key, 'decidedBy', ARGV[4], 'decidedAt', ARGV[3])
finish('cancelled')
return {'cancelled', all()}
