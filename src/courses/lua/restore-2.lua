--[[
  Last step of restoring a term's counters after Redis lost them: seq starts above every seq
  PostgreSQL holds, plus a margin for requests still on their way there (so no seq is given
  twice), decided is PostgreSQL's; then the term accepts again.

  Input:
    KEYS[1] st        the term's counters (hash)
    KEYS[2] rebuild   the restore lease (string)
    ARGV[1] lease token: the restore is applied only by the lease's holder
    ARGV[2] the lowest seq counter allowed (PostgreSQL's highest seq plus the margin)
    ARGV[3] decided (PostgreSQL's)

  Output:
    1   restored
    0   the lease was lost (expired and taken by another instance): nothing written
]]
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
local current = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
local floor = tonumber(ARGV[2])
if current > floor then floor = current end
redis.call('HSET', KEYS[1], 'seq', string.format('%d', floor), 'decided', ARGV[3], 'ready', 1)
redis.call('DEL', KEYS[2])
return 1
