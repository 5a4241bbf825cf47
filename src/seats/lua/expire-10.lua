--[[
  Expires the holds whose time has come, oldest first, at most ARGV[2] of them: their seats are
  free again and their records move to `gone` (where a late confirm finds them). Trims `gone` of
  records older than the retention. Safe to run from every instance at once: each hold is
  expired by exactly one run (the first to find it). Logs a "hold.expired" entry for the webhook
  when the show has one.

  Input:
    KEYS[1] st  KEYS[2] rows  KEYS[3] runs  KEYS[4] layout  KEYS[5] holds  KEYS[6] exp  KEYS[7] users
    KEYS[8] gone  KEYS[9] gonez  KEYS[10] log     (see confirm-12.lua)
    ARGV[1] now (ms), ARGV[2] most holds to expire, ARGV[3] retention of `gone` records (ms)

  Output:
    {-1}                                        state missing: nothing done
    {expired, nextExpiry (ms, or -1 when none), logId, entry, logId, entry, ...}
]]
local st = newState(KEYS[1], KEYS[2], KEYS[3], KEYS[4])
local config = redis.call('HMGET', KEYS[1], 'ready', 'hook')
if config[1] ~= '1' or not st:keysPresent() then return {-1} end
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local logged = {}
local due = redis.call('ZRANGEBYSCORE', KEYS[6], '-inf', now, 'LIMIT', 0, limit)
for _, holdId in ipairs(due) do
  local raw = redis.call('HGET', KEYS[5], holdId)
  if raw then
    local hold = cjson.decode(raw)
    local seats = parseSeats(hold.s)
    st:paint(seats, 'h', 'f')
    addUserSeats(KEYS[7], hold.u, -#seats)
    redis.call('HDEL', KEYS[5], holdId)
    redis.call('HSET', KEYS[8], holdId, cjson.encode({ k = 'E', u = hold.u, p = hold.p, s = hold.s }))
    redis.call('ZADD', KEYS[9], now, holdId)
    if config[2] == '1' then
      local entry = cjson.encode({ t = 'e', h = holdId, u = hold.u, p = hold.p, s = hold.s, at = hold.e })
      logged[#logged + 1] = redis.call('XADD', KEYS[10], '*', 'e', entry)
      logged[#logged + 1] = entry
    end
  end
  redis.call('ZREM', KEYS[6], holdId)
end
st:flush()
local old = redis.call('ZRANGEBYSCORE', KEYS[9], '-inf', now - tonumber(ARGV[3]), 'LIMIT', 0, limit)
for _, holdId in ipairs(old) do
  redis.call('HDEL', KEYS[8], holdId)
  redis.call('ZREM', KEYS[9], holdId)
end
local nextDue = redis.call('ZRANGE', KEYS[6], 0, 0, 'WITHSCORES')
local reply = { #due, nextDue[2] and tonumber(nextDue[2]) or -1 }
for _, v in ipairs(logged) do reply[#reply + 1] = v end
return reply
