-- The call has ended: its slot now counts one window from here.
-- KEYS: 1 log. ARGV: 1 member.
--- @include "now"
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1]) end
return 1
