-- The changes recorded for the App Home refresh, taken in one step with a new generation begun: a change
-- recorded before it is published by the job running this, one recorded after names the next job.
-- KEYS[1] the changes hash (request id → scope), KEYS[2] the generation counter.
local all = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1])
redis.call('INCR', KEYS[2])
return all
