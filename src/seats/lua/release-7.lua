--[[
  Releases a hold: its seats are free at once.

  Input:
    KEYS[1] st  KEYS[2] rows  KEYS[3] runs  KEYS[4] layout  KEYS[5] holds  KEYS[6] exp  KEYS[7] users
    ARGV[1] holdId, ARGV[2] actor kind ("u", "p", "a"), ARGV[3] actor id

  Output:
    {-1}   state missing: rebuild first
    {1}    released
    {-5}   no such live hold (or not the actor's)
]]
local st = newState(KEYS[1], KEYS[2], KEYS[3], KEYS[4])
if redis.call('HGET', KEYS[1], 'ready') ~= '1' or not st:keysPresent() then return {-1} end
local raw = redis.call('HGET', KEYS[5], ARGV[1])
if not raw then return {-5} end
local hold = cjson.decode(raw)
if not owns(hold, ARGV[2], ARGV[3]) then return {-5} end
local seats = parseSeats(hold.s)
st:paint(seats, 'h', 'f')
st:flush()
redis.call('HDEL', KEYS[5], ARGV[1])
redis.call('ZREM', KEYS[6], ARGV[1])
addUserSeats(KEYS[7], hold.u, -#seats)
return {1}
