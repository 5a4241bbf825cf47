--[[
  Accepts requests to one term, in the order given: each gets the term's next seq (its place in
  arrival order) and is appended to the term's log in the same atomic step. Accepted <=> logged:
  the log entry is what makes an accepted request recoverable until PostgreSQL has it (the durable
  pipeline commits it; the sweeper does if this instance dies first). Instances batch the requests
  to one term that arrive in the same event-loop turn into one call.

  Input:
    KEYS[1] st    the term's counters (hash): ready, seq (last seq given), decided (last seq decided)
    KEYS[2] log   accepted requests awaiting persistence (stream, field "r")
    ARGV[1..n]    one encoded request each (src/courses/log-entry.ts); the log entry is "<seq>|<it>"

  Output:
    {-1}                                 state missing (Redis lost it): restore it first; nothing accepted
    {1, decided, seq1, logId1, seq2, logId2, ...}   accepted, one (seq, logId) pair per request
]]
local st = redis.call('HMGET', KEYS[1], 'ready', 'seq', 'decided')
if st[1] ~= '1' then return {-1} end
local seq = tonumber(st[2])
local out = {1, tonumber(st[3] or '0')}
for i = 1, #ARGV do
  seq = seq + 1
  out[#out + 1] = seq
  out[#out + 1] = redis.call('XADD', KEYS[2], '*', 'r', string.format('%d', seq) .. '|' .. ARGV[i])
end
redis.call('HSET', KEYS[1], 'seq', string.format('%d', seq))
return out
