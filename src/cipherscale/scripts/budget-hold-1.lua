-- Cipherscale said 429: no call until ARGV[1] ms from now. Only ever extends the hold.
-- KEYS: 1 hold. ARGV: 1 ms.
--- @include "now"
local until_ = now + tonumber(ARGV[1]) * 1000
if tonumber(redis.call('GET', KEYS[1]) or '0') < until_ then
  redis.call('SET', KEYS[1], string.format('%.0f', until_), 'PX', ARGV[1])
end
return 1
