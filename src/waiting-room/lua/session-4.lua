--[[
  Reads the state of tickets that reached the front, and opens a ticket's session the first time
  its admitted user comes back for it: from then on the slot is held until the session's expiry
  instead of the (shorter) arrival deadline. Instances batch the polls of one room's admitted
  tickets that arrive in the same event-loop turn into one run; each ticket is decided in turn
  (a ticket given twice is opened once, then read).

  Input:
    KEYS[1] cfg      room configuration (hash): sessionMs
    KEYS[2] tickets  ticketNo -> "enteredAtMs|userId" (hash)
    KEYS[3] status   ticketNo -> state (hash), see admit-7.lua
    KEYS[4] active   ticketNo -> deadline ms (zset)
    ARGV[1..n] ticketNos

  Output: one reply per ARGV, in order:
    {-1}                          unknown ticket
    {0, userId}                   still waiting
    {1, userId, iat, exp, ext}    in session (opened now or before)
    {2, userId}                   left
    {3, userId}                   expired (abandoned, never came back, or session over)
    {4, userId}                   completed
]]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local sessionMs = nil

local function sessionOf(ticketNo)
  local ticket = redis.call('HGET', KEYS[2], ticketNo)
  if not ticket then return {-1} end
  local userId = string.sub(ticket, string.find(ticket, '|', 1, true) + 1)

  local status = redis.call('HGET', KEYS[3], ticketNo)
  if not status then return {0, userId} end
  local kind = string.sub(status, 1, 1)
  if kind == 'L' then return {2, userId} end
  if kind == 'X' then return {3, userId} end
  if kind == 'C' then return {4, userId} end

  local function expire()
    redis.call('HSET', KEYS[3], ticketNo, 'X')
    redis.call('ZREM', KEYS[4], ticketNo)
    return {3, userId}
  end

  if kind == 'A' then
    local deadline = tonumber(string.sub(status, 3))
    if deadline <= now then return expire() end
    sessionMs = sessionMs or tonumber(redis.call('HGET', KEYS[1], 'sessionMs'))
    local exp = now + sessionMs
    redis.call('HSET', KEYS[3], ticketNo, 'S|' .. now .. '|' .. exp .. '|0')
    redis.call('ZADD', KEYS[4], exp, ticketNo)
    return {1, userId, now, exp, 0}
  end

  -- 'S|iat|exp|ext'
  local iat, exp, ext = string.match(status, '^S|(%d+)|(%d+)|(%d+)$')
  if tonumber(exp) <= now then return expire() end
  return {1, userId, tonumber(iat), tonumber(exp), tonumber(ext)}
end

local replies = {}
for i = 1, #ARGV do replies[i] = sessionOf(ARGV[i]) end
return replies
