-- Before a delete: the request's holds and requester slot go with it.
-- KEYS: as in includes/record.lua. ARGV: 1 id, 2 retentionMs.
--- @include "record"
release()
return {'ok'}
