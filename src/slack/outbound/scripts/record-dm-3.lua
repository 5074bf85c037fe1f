-- Records the DM the app sent an approver about a request, kept no longer than the request's record.
-- KEYS: 1 the request's record, 2 its DMs (approver → `<channel>:<ts>`), 3 what each DM shows
-- (approver → `<version>:<digest>`). ARGV: 1 approver user id, 2 `<channel>:<ts>`, 3 the record version
-- the DM shows, 4 its digest, 5 retentionMs (a record without a TTL). Returns 1, or 0 when the record has
-- gone (nothing written).
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -2 then return 0 end
if ttl < 0 then ttl = tonumber(ARGV[5]) end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
local shown = tonumber(string.match(redis.call('HGET', KEYS[3], ARGV[1]) or '', '^(%-?%d+):') or '-1')
if tonumber(ARGV[3]) > shown then redis.call('HSET', KEYS[3], ARGV[1], ARGV[3] .. ':' .. ARGV[4]) end
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('PEXPIRE', KEYS[3], ttl)
return 1
