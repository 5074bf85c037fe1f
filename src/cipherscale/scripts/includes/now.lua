-- Times in µs from Redis TIME, so every process agrees.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
