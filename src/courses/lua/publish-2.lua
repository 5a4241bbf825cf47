--[[
  Publishes decisions committed in PostgreSQL, for the polls: the results of each seq, and how far
  the term is decided (never moved back: a slower publisher of older decisions leaves it).

  Input:
    KEYS[1] st    the term's counters (hash)
    KEYS[2] res   seq -> results JSON (hash)
    ARGV[1]       decided: every seq up to it is decided
    ARGV[2..n]    pairs: seq, results JSON

  Output:
    1
]]
for i = 2, #ARGV, 2 do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
end
if #ARGV > 1 then redis.call('EXPIRE', KEYS[2], 604800) end
-- Counters of a term whose state is missing are restored from PostgreSQL, not from here.
local st = redis.call('HMGET', KEYS[1], 'ready', 'decided')
if st[1] == '1' and tonumber(st[2] or '0') < tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'decided', ARGV[1])
end
return 1
