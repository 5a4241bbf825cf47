--[[
  One admission step of a room. Every instance calls it every few hundred milliseconds; the effect
  depends only on the time elapsed since the last step (stored here, read from the Redis clock) and
  on the room's state, never on who calls it, so any number of callers admit no more and no faster
  than one would. No leader, no lock.

  1. Sessions and admissions whose deadline passed are expired, freeing their slots.
  2. At opensAt the pre-queue is closed: its size is fixed, and with prequeue=shuffle its order is
     the keyed permutation below, recomputable by anyone from the seed published after opening.
  3. Credit grows by admitPerSecond x elapsed (fractions carried, at most one second's worth banked
     while people wait, so a late step catches up) and tickets are admitted in queue order while
     credit and free slots (maxActive) last. Credit is not banked while nobody waits: a crowd that
     arrives after a quiet spell is admitted at the rate, not a second's worth at once. Tickets
     that left are passed over; tickets not polled for abandonMs are expired and passed over;
     neither uses credit.

  Input:
    KEYS[1] cfg      room configuration (hash)
    KEYS[2] st       room counters (hash)
    KEYS[3] tickets  ticketNo -> "enteredAtMs|userId" (hash)
    KEYS[4] status   ticketNo -> 'A|deadline' admitted | 'S|iat|exp|ext' session | 'L' left
                     | 'X' expired | 'C' completed (hash)
    KEYS[5] active   ticketNo -> deadline ms, admitted and in-session tickets (zset)
    KEYS[6] seen     ticketNo -> last recorded poll ms (zset), written in batches by instances
    KEYS[7] left     tickets that left while waiting (zset, see finish-5.lua): forgotten once passed
    ARGV[1] most queue places to examine in this call (bounds the script's run time)

  Output:
    {-1}                                              room not found
    {admitted, abandoned, expired, served, active, waiting}
      waiting: queue places not yet examined (issued - served); with active = 0 the room is idle
]]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

local cfg = redis.call('HMGET', KEYS[1], 'admitPerSecond', 'maxActive', 'arrivalMs', 'abandonMs',
  'opensAt', 'prequeue', 'seed', 'paused', 'archived')
if not cfg[1] then return {-1} end
local rate = tonumber(cfg[1])
local maxActive = tonumber(cfg[2])
local arrivalMs = tonumber(cfg[3])
local abandonMs = tonumber(cfg[4]) or 0
local opensAt = tonumber(cfg[5]) or 0
local shuffle = cfg[6] == 'shuffle'
local seed = cfg[7]
-- An archived room admits no one, like a paused one (a step listed before the archival may still run).
local paused = cfg[8] == '1' or cfg[9] == '1'

local st = redis.call('HMGET', KEYS[2], 'issued', 'served', 'credit', 'lastRun', 'opened',
  'prequeueSize', 'leftWaiting', 'admittedTotal')
local issued = tonumber(st[1]) or 0
local served = tonumber(st[2]) or 0
local credit = tonumber(st[3]) or 0
local lastRun = tonumber(st[4]) or now
local opened = tonumber(st[5]) or 0
local prequeueSize = tonumber(st[6]) or 0
local leftWaiting = tonumber(st[7]) or 0
local admittedTotal = tonumber(st[8]) or 0
local maxExamine = tonumber(ARGV[1])

-- 1. Expire what is past its deadline.
local expired = redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', now, 'LIMIT', 0, 1000)
for _, ticketNo in ipairs(expired) do
  redis.call('HSET', KEYS[4], ticketNo, 'X')
end
if #expired > 0 then redis.call('ZREM', KEYS[5], unpack(expired)) end

-- Forget poll times far older than the abandonment limit: such tickets are judged by their entry
-- time (older still) with the same verdict, and entries left behind by a late batch of poll times
-- (a ticket admitted between its poll and the batch write) do not pile up.
if abandonMs > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', now - 2 * abandonMs) end

-- 2. Opening.
if opened == 0 then
  if now < opensAt then
    redis.call('HSET', KEYS[2], 'lastRun', now, 'credit', 0)
    return {0, 0, #expired, served, redis.call('ZCARD', KEYS[5]), issued - served}
  end
  opened = 1
  prequeueSize = issued
  redis.call('HSET', KEYS[2], 'opened', 1, 'prequeueSize', issued)
  if lastRun < opensAt then lastRun = opensAt end
end

-- Keyed permutation of the pre-queue: a 6-round Feistel network over the smallest even power of
-- two >= size, rounds keyed by SHA-1(seed:round:half), cycle-walked back into [0, size).
-- Maps a queue place to the pre-queue index (issue order) that stands there.
-- src/waiting-room/domain/shuffle.ts is the same function and its inverse.
local function feistel(x, halfSize)
  local left = math.floor(x / halfSize)
  local right = x % halfSize
  for round = 1, 6 do
    local digest = redis.sha1hex(seed .. ':' .. round .. ':' .. right)
    local f = tonumber(string.sub(digest, 1, 8), 16) % halfSize
    left, right = right, bit.bxor(left, f)
  end
  return left * halfSize + right
end
local function placeToIssued(place)
  if not shuffle or place > prequeueSize then return place end
  local bits = 2
  while 2 ^ bits < prequeueSize do bits = bits + 2 end
  local halfSize = 2 ^ (bits / 2)
  local x = place - 1
  repeat x = feistel(x, halfSize) until x < prequeueSize
  return x + 1
end

-- 3. Credit and admission.
if paused then
  credit = 0
else
  local elapsed = math.max(0, now - lastRun)
  credit = math.min(credit + elapsed * rate / 1000, math.max(1, rate))
end
local active = redis.call('ZCARD', KEYS[5])
local budget = math.min(math.floor(credit), maxActive - active)
local admitted, abandoned, examined = 0, 0, 0
while admitted < budget and served < issued and examined < maxExamine do
  served = served + 1
  examined = examined + 1
  local ticketNo = placeToIssued(served)
  local status = redis.call('HGET', KEYS[4], ticketNo)
  if status then
    -- left while waiting: it was counted in leftWaiting until now
    leftWaiting = leftWaiting - 1
    redis.call('ZREM', KEYS[7], ticketNo)
  else
    local isAbandoned = false
    if abandonMs > 0 then
      local seenAt = tonumber(redis.call('ZSCORE', KEYS[6], ticketNo))
      if seenAt then
        redis.call('ZREM', KEYS[6], ticketNo)
      else
        local ticket = redis.call('HGET', KEYS[3], ticketNo)
        seenAt = ticket and tonumber(string.match(ticket, '^(%d+)|'))
      end
      isAbandoned = seenAt ~= nil and seenAt < now - abandonMs
    end
    if isAbandoned then
      redis.call('HSET', KEYS[4], ticketNo, 'X')
      abandoned = abandoned + 1
    else
      local deadline = now + arrivalMs
      redis.call('HSET', KEYS[4], ticketNo, 'A|' .. deadline)
      redis.call('ZADD', KEYS[5], deadline, ticketNo)
      admitted = admitted + 1
    end
  end
end
credit = credit - admitted
-- The queue ran dry: keep the fraction, not a bank of unused credit (see 3. above).
if served >= issued then credit = math.min(credit, 1) end

redis.call('HSET', KEYS[2], 'served', served, 'credit', credit, 'lastRun', now,
  'leftWaiting', leftWaiting, 'admittedTotal', admittedTotal + admitted)
return {admitted, abandoned, #expired, served, active + admitted, issued - served}
