--[[
  Confirms a hold as a booking, and logs it for PostgreSQL in the same step (accepted <=> logged;
  the durable pipeline commits it, then the caller answers 201).

  - The same idempotency key again (same actor, same hold) -> the booking it made.
  - A live hold (even one past its expiry that no sweeper reached yet: nobody else can have its
    seats) -> its seats become sold.
  - An expired hold (its record kept in `gone`) -> booked only if every one of its seats is free
    now, and the user's limit allows; else the seats lost are named. A late payment never takes a
    seat that someone else holds or bought.

  Input:
    KEYS[1] st  KEYS[2] rows  KEYS[3] runs  KEYS[4] layout  KEYS[5] holds  KEYS[6] exp  KEYS[7] users
    KEYS[8] gone      holdId -> {"k":"E",u,p,s} expired | {"k":"C","b":bookingId,u,p} confirmed
    KEYS[9] gonez     holdId scored by when it went to `gone` (for trimming)
    KEYS[10] idem     "<actor kind>:<actor id>\n<key>" -> "<bookingId>|<holdId>"
    KEYS[11] bookings bookingId -> {"u":userId,"p":partnerId,"s":"r:p,..."} (live bookings)
    KEYS[12] log      accepted bookings awaiting persistence (stream, field "e": JSON)
    ARGV[1] now (ms), ARGV[2] holdId, ARGV[3] actor kind, ARGV[4] actor id,
    ARGV[5] idempotency key, ARGV[6] bookingId (new, used if a booking is made)

  Output:
    {-1}                          state missing: rebuild first
    {1, bookingId, "r:p,...", logId, userId, late (0|1), partnerId}   booked now
    {2, bookingId}                the key's booking (a replay)
    {-3, seatsAlready}            a late confirm would exceed maxSeatsPerUser
    {-5}                          no such hold (or not the actor's)
    {-6, "r:p,..."}               the hold expired and these of its seats are no longer free
    {-7, bookingId}               the hold was already confirmed (with another key)
    {-8}                          the key was used for another hold
]]
local st = newState(KEYS[1], KEYS[2], KEYS[3], KEYS[4])
local config = redis.call('HMGET', KEYS[1], 'ready', 'maxPerUser')
if config[1] ~= '1' or not st:keysPresent() then return {-1} end
local now = tonumber(ARGV[1])
local holdId, kind, actor, key, bookingId = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local idemField = kind .. ':' .. actor .. '\n' .. key
local previous = redis.call('HGET', KEYS[10], idemField)
if previous then
  local b, h = string.match(previous, '^([^|]*)|(.*)$')
  if h ~= holdId then return {-8} end
  return {2, b}
end

local hold, late
local raw = redis.call('HGET', KEYS[5], holdId)
if raw then
  hold = cjson.decode(raw)
  if not owns(hold, kind, actor) then return {-5} end
  late = 0
else
  local gone = redis.call('HGET', KEYS[8], holdId)
  if not gone then return {-5} end
  hold = cjson.decode(gone)
  if not owns(hold, kind, actor) then return {-5} end
  if hold.k == 'C' then return {-7, hold.b} end
  late = 1
end

local seats = parseSeats(hold.s)
if late == 1 then
  local lost = {}
  for _, s in ipairs(seats) do
    if string.byte(st:row(s[1]), s[2]) ~= FREE then lost[#lost + 1] = s end
  end
  if #lost > 0 then return {-6, formatSeats(lost)} end
  local mine = tonumber(redis.call('HGET', KEYS[7], hold.u) or '0')
  if mine + #seats > tonumber(config[2]) then return {-3, mine} end
  st:paint(seats, 'f', 's')
  redis.call('HINCRBY', KEYS[7], hold.u, #seats)
else
  st:paint(seats, 'h', 's')
  redis.call('HDEL', KEYS[5], holdId)
  redis.call('ZREM', KEYS[6], holdId)
end
st:flush()
redis.call('HSET', KEYS[8], holdId, cjson.encode({ k = 'C', b = bookingId, u = hold.u, p = hold.p }))
redis.call('ZADD', KEYS[9], now, holdId)
redis.call('HSET', KEYS[10], idemField, bookingId .. '|' .. holdId)
redis.call('HSET', KEYS[11], bookingId, cjson.encode({ u = hold.u, p = hold.p, s = hold.s }))
local logId = redis.call('XADD', KEYS[12], '*', 'e', cjson.encode({
  t = 'b', b = bookingId, h = holdId, u = hold.u, p = hold.p, c = kind .. ':' .. actor, k = key, s = hold.s, at = now, l = late,
}))
return {1, bookingId, hold.s, logId, hold.u, late, hold.p}
