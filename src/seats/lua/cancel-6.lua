--[[
  Frees the seats of a booking cancelled in PostgreSQL (which the caller did first: a seat is
  never sold again before its booking is cancelled in the record). Idempotent: a booking it does
  not know (cancelled already) changes nothing.

  Input:
    KEYS[1] st  KEYS[2] rows  KEYS[3] runs  KEYS[4] layout  KEYS[5] users  KEYS[6] bookings
    ARGV[1] bookingId

  Output:
    {-1}      state missing: the rebuild reads the cancellation from PostgreSQL
    {1, n}    n seats freed
    {0}       not a live booking here
]]
local st = newState(KEYS[1], KEYS[2], KEYS[3], KEYS[4])
if redis.call('HGET', KEYS[1], 'ready') ~= '1' or not st:keysPresent() then return {-1} end
local raw = redis.call('HGET', KEYS[6], ARGV[1])
if not raw then return {0} end
local booking = cjson.decode(raw)
local seats = parseSeats(booking.s)
local n = st:paint(seats, 's', 'f')
st:flush()
addUserSeats(KEYS[5], booking.u, -#seats)
redis.call('HDEL', KEYS[6], ARGV[1])
return {1, n}
