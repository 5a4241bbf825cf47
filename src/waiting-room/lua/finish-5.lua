--[[
  Ends tickets for good: the user left the queue, completed the session, or an operator revoked
  it. A waiting ticket stays in the queue order (admission passes over it); an admitted ticket or
  session frees its slot at once. Instances batch the endings of one room that arrive in the same
  event-loop turn into one run; each is decided in turn.

  Input:
    KEYS[1] st       room counters (hash): leftWaiting, leftSeq
    KEYS[2] status   ticketNo -> state (hash), see admit-7.lua
    KEYS[3] active   ticketNo -> deadline ms (zset)
    KEYS[4] seen     ticketNo -> last poll ms (zset)
    KEYS[5] left     ticketNo -> leave sequence (zset): tickets that left while waiting, so that every
                     instance's cached view learns of them with its next read (room-view.ts)
    ARGV    triples, one per ending:
      ARGV[3i+1] ticketNo
      ARGV[3i+2] final state: 'L' left | 'C' completed
      ARGV[3i+3] '1' to accept only a ticket in session (complete), '0' for any live ticket (leave)

  Output: one code per triple, in order:
    1    ended now
    0    already ended (left, expired or completed): nothing changed
    -1   not in session (only when the third value is '1')
]]
local function finish(ticketNo, final, onlySession)
  local status = redis.call('HGET', KEYS[2], ticketNo)
  local kind = status and string.sub(status, 1, 1)

  if onlySession == '1' and kind ~= 'S' then return -1 end
  if not status then
    redis.call('HSET', KEYS[2], ticketNo, final)
    redis.call('ZREM', KEYS[4], ticketNo)
    redis.call('HINCRBY', KEYS[1], 'leftWaiting', 1)
    redis.call('ZADD', KEYS[5], redis.call('HINCRBY', KEYS[1], 'leftSeq', 1), ticketNo)
    return 1
  end
  if kind == 'A' or kind == 'S' then
    redis.call('HSET', KEYS[2], ticketNo, final)
    redis.call('ZREM', KEYS[3], ticketNo)
    return 1
  end
  return 0
end

local codes = {}
for i = 1, #ARGV, 3 do codes[#codes + 1] = finish(ARGV[i], ARGV[i + 1], ARGV[i + 2]) end
return codes
