-- The changes recorded for the App Home refresh, and the Homes a rate tier put off, taken in one step with a
-- new generation begun: what is recorded before it is published by the job running this, what after names
-- the next job.
-- KEYS[1] the changes hash (request id → scope), KEYS[2] the generation counter, KEYS[3] the deferred hash
-- (user id → '1' approver, '0' not, '' unknown).
local all = redis.call('HGETALL', KEYS[1])
local deferred = redis.call('HGETALL', KEYS[3])
redis.call('DEL', KEYS[1], KEYS[3])
redis.call('INCR', KEYS[2])
return {all, deferred}
