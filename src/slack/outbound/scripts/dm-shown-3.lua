-- An update of an approver's DM landed showing record version ARGV[2]: recorded unless a newer one landed
-- first (then this one may have overwritten it, and the caller renders again). The DMs' TTL follows the
-- record's (a decision shortens it to the retention); a record gone takes them along.
-- KEYS: 1 the request's record, 2 its DMs, 3 what each DM shows (`<version>:<digest>`).
-- ARGV: 1 approver user id, 2 version, 3 digest of what it shows.
-- Returns 1 when ARGV[2] is the newest version landed in that DM, 0 when a newer one landed before.
local shown = tonumber(string.match(redis.call('HGET', KEYS[3], ARGV[1]) or '', '^(%-?%d+):') or '-1')
if shown > tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2] .. ':' .. ARGV[3])
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -2 then
  redis.call('DEL', KEYS[2])
  redis.call('DEL', KEYS[3])
elseif ttl > 0 then
  redis.call('PEXPIRE', KEYS[2], ttl)
  redis.call('PEXPIRE', KEYS[3], ttl)
end
return 1
