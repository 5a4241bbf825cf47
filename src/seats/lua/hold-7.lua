--[[
  Decides holds on one show, in the order given, each all or nothing: state present -> the
  user's seat limit -> the seats (chosen ones all free, or best available) -> held. Instances
  batch the holds to one show that arrive in the same event-loop turn into one call.

  Best available (domain/best-available.ts is the same rule, tested against this script): the
  first row in the venue's order with N eligible seats side by side, found from the run
  summaries (seat-state.lib.lua), never by reading every row; within it the placement that leaves
  no single isolated free seat, then the one nearest the row's middle, then the leftmost.
  Otherwise split over the best rows, longest runs first.

  Input:
    KEYS[1] st  KEYS[2] rows  KEYS[3] runs  KEYS[4] layout   (seat-state.lib.lua)
    KEYS[5] holds   holdId -> {"u":userId,"p":partnerId,"e":expiresAtMs,"x":extensions,"s":"r:p,..."}
    KEYS[6] exp     holdId scored by its expiry (ms)
    KEYS[7] users   userId -> seats held + booked
    ARGV[1] now (ms)
    ARGV[2..] five per hold: holdId, userId, partnerId ('' for a room token's user),
              mode ("c" chosen | "b" best), spec (chosen: "r:p,r:p"; best: "count|category|accessible",
              category '' for any, accessible "1" or "0")

  Output:
    {-1}                        state missing (Redis lost it): rebuild first; nothing decided
    one reply per hold:
      {1, expiresAt, "r:p,..."}   held
      {-2, "r:p,..."}             chosen seats that are not free
      {-3, seatsAlready}          the user's seats (held + booked) plus these exceed maxSeatsPerUser
      {-4}                        best available cannot be met (fewer eligible seats than asked)
]]
local st = newState(KEYS[1], KEYS[2], KEYS[3], KEYS[4])
local config = redis.call('HMGET', KEYS[1], 'ready', 'holdMs', 'maxPerUser')
if config[1] ~= '1' or not st:keysPresent() then return {-1} end
local holdMs = tonumber(config[2])
local maxPerUser = tonumber(config[3])
local now = tonumber(ARGV[1])

local function better(s, o, d, best, bo, bd)
  return best == nil or (bo and not o) or (o == bo and (d < bd or (d == bd and s < best)))
end

local function isFree(row, p)
  return p >= 1 and p <= #row and string.byte(row, p) == FREE
end

local function leavesOrphan(row, start, k)
  local e = start + k - 1
  return (isFree(row, start - 1) and not isFree(row, start - 2)) or (isFree(row, e + 1) and not isFree(row, e + 2))
end

--- The best start for k seats within the run of eligible seats [lo, lo+len-1]. Orphans can only
--- arise at the run's two ends, so the best placement is within a few seats of the ideal one.
local function place(row, lo, len, k)
  local hi = lo + len - k
  local n = #row
  local ideal = math.floor((n + 2 - k) / 2)
  local c = math.max(lo, math.min(hi, ideal))
  local best, bo, bd
  for s = math.max(lo, c - 4), math.min(hi, c + 5) do
    local o = leavesOrphan(row, s, k)
    local d = math.abs(2 * s + k - n - 2)
    if better(s, o, d, best, bo, bd) then best, bo, bd = s, o, d end
  end
  return best, bo, bd
end

--- The row as eligible seats: free and, for an accessible request, accessible ("x" otherwise).
local function eligible(r, row, accessible)
  if not accessible then return row end
  local mask = st:layoutField('a:' .. r)
  local out = {}
  for p = 1, #row do
    out[p] = (string.byte(row, p) == FREE and string.sub(mask, p, p) == 'a') and 'f' or 'x'
  end
  return table.concat(out)
end

local function togetherInRow(row, e, k)
  local best, bo, bd
  for s, t in string.gmatch(e, '()f+()') do
    if t - s >= k then
      local p, o, d = place(row, s, t - s, k)
      if better(p, o, d, best, bo, bd) then best, bo, bd = p, o, d end
    end
  end
  return best
end

local function eligibleCount(e)
  local n = 0
  for run in string.gmatch(e, 'f+') do n = n + #run end
  return n
end

--- Takes up to `want` seats from one row, longest runs first; appends them to `seats`.
local function splitRow(r, row, e, want, seats)
  while want > 0 do
    local chosen
    for s, t in string.gmatch(e, '()f+()') do
      local len = t - s
      local take = math.min(len, want)
      local p, _, d = place(row, s, len, take)
      if not chosen or len > chosen.len or (len == chosen.len and (d < chosen.d or (d == chosen.d and p < chosen.p))) then
        chosen = { len = len, take = take, p = p, d = d }
      end
    end
    if not chosen then return want end
    for q = chosen.p, chosen.p + chosen.take - 1 do
      seats[#seats + 1] = { r, q }
      row = string.sub(row, 1, q - 1) .. 'h' .. string.sub(row, q + 1)
      e = string.sub(e, 1, q - 1) .. 'h' .. string.sub(e, q + 1)
    end
    want = want - chosen.take
  end
  return 0
end

--- Rows a best-available request may use, in order: from the run summaries, or (accessible) the
--- few rows that have accessible seats. Calls visit(r) until it returns true.
local function eachRow(category, accessible, minRun, visit)
  if accessible then
    local packed = st:layoutField('a')
    for i = 1, #packed / 2 do
      local hi, lo = string.byte(packed, 2 * i - 1, 2 * i)
      local r = hi * 256 + lo
      if category == '' or st:meta(r).cat == category then
        if visit(r) then return end
      end
    end
    return
  end
  local field = category == '' and '*' or ('c:' .. category)
  local runs = st:runsOf(field)
  -- "a byte of RUN_BASE + minRun or more": requests ask for at most 50 seats, so the class starts
  -- with a character from ")" to "Z", none of which is special there ("^" would be, "%" too).
  local pattern = '[' .. string.char(RUN_BASE + math.min(minRun, 50)) .. '-\255]'
  local i = string.find(runs, pattern)
  while i do
    if visit(st:rowAt(field, i)) then return end
    i = string.find(runs, pattern, i + 1)
  end
end

local function best(count, category, accessible)
  local seats
  eachRow(category, accessible, count, function(r)
    local row = st:row(r)
    local start = togetherInRow(row, eligible(r, row, accessible), count)
    if start then
      seats = {}
      for q = start, start + count - 1 do seats[#seats + 1] = { r, q } end
      return true
    end
    return false
  end)
  if seats then return seats end
  local available = 0
  if accessible then
    eachRow(category, true, 1, function(r)
      available = available + eligibleCount(eligible(r, st:row(r), true))
      return false
    end)
  else
    available = st:counter(category == '' and 'f' or ('f:' .. category))
  end
  if available < count then return nil end
  seats = {}
  local want = count
  eachRow(category, accessible, 1, function(r)
    local row = st:row(r)
    want = splitRow(r, row, eligible(r, row, accessible), want, seats)
    return want == 0
  end)
  return seats
end

local replies = {}
for i = 2, #ARGV, 5 do
  local holdId, userId, partnerId, mode, spec = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local mine = tonumber(redis.call('HGET', KEYS[7], userId) or '0')
  local seats, reply
  if mode == 'c' then
    seats = parseSeats(spec)
    if mine + #seats > maxPerUser then
      reply = {-3, mine}
    else
      local taken = {}
      for _, s in ipairs(seats) do
        if string.byte(st:row(s[1]), s[2]) ~= FREE then taken[#taken + 1] = s end
      end
      if #taken > 0 then reply = {-2, formatSeats(taken)} end
    end
  else
    local count, category, accessible = string.match(spec, '^(%d+)|(.*)|([01])$')
    count = tonumber(count)
    if mine + count > maxPerUser then
      reply = {-3, mine}
    else
      seats = best(count, category, accessible == '1')
      if not seats then reply = {-4} end
    end
  end
  if not reply then
    st:paint(seats, 'f', 'h')
    local expiresAt = now + holdMs
    local text = formatSeats(seats)
    redis.call('HSET', KEYS[5], holdId, cjson.encode({ u = userId, p = partnerId, e = expiresAt, x = 0, s = text }))
    redis.call('ZADD', KEYS[6], expiresAt, holdId)
    redis.call('HINCRBY', KEYS[7], userId, #seats)
    reply = {1, expiresAt, text}
  end
  replies[#replies + 1] = reply
end
st:flush()
return replies
