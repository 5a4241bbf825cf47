--[[
  Decides claims, in the order given, each atomically: state present -> per-user limit -> stock ->
  daily quota -> record -> append to the campaign's log. Accepted <=> logged: the log entry is what
  makes an accepted claim recoverable until PostgreSQL has it. Instances batch the claims to one
  campaign that arrive in the same event-loop turn into one call.

  Units and numbers. `claimed` counts the units accepted; a claim's seq (its unit) is taken from
  `holes` first, then nextSeq + 1. Holes are seqs a rebuild found held by no surviving record: a
  claim accepted by an instance that died, whose log entry Redis then lost too, was never
  confirmed, and its unit is sold again. A user's claim number is the smallest of 1..perUserLimit
  the user does not hold; a day's sequence likewise comes from that day's holes first.

  Input:
    KEYS[1] st     campaign limits and counters (hash): ready, stock, perUserLimit, dailyQuota,
                   claimed, nextSeq; per local day d:<day> (claims granted), dmax:<day> (highest
                   day sequence given), dh:<day> (free day sequences, "n,n,...")
    KEYS[2] users  userId -> the user's claims as "seq:claimNo,seq:claimNo,..." (hash; the older
                   form "seq,seq,..." means claim numbers 1, 2, ... in that order)
    KEYS[3] log    accepted claims awaiting persistence (stream), field c =
                   "seq|claimNo|daySeq|day|at|userId" (claims/log-entry.ts)
    KEYS[4] holes  seqs free for reuse (zset, score = seq)
    ARGV[1] local day "YYYY-MM-DD" of a daily campaign, or ''
    ARGV[2..n] pairs: userId, claim time in ms since the epoch

  Output:
    {-1}                    state missing (Redis lost it): rebuild first; nothing decided
    { outcome, ... }        one per userId:
      {1, seq, claimNo, daySeq, logId}      accepted (daySeq 0 without a daily quota)
      {-2, "seq,seq"}                       the user reached perUserLimit; their claims' seqs
      {-3}                                  sold out
      {-4}                                  today's quota is used up
]]
local st = redis.call('HMGET', KEYS[1], 'ready', 'stock', 'perUserLimit', 'dailyQuota', 'claimed', 'nextSeq')
if st[1] ~= '1' then return {-1} end
local stock = tonumber(st[2])
local perUserLimit = tonumber(st[3])
local dailyQuota = tonumber(st[4])
local claimed = tonumber(st[5])
local nextSeq = tonumber(st[6]) or claimed
local day = ARGV[1]

local dayCount, dayMax, dayHoles = 0, 0, {}
if dailyQuota > 0 then
  local d = redis.call('HMGET', KEYS[1], 'd:' .. day, 'dmax:' .. day, 'dh:' .. day)
  dayCount = tonumber(d[1] or '0')
  dayMax = tonumber(d[2]) or dayCount
  if d[3] then
    for n in string.gmatch(d[3], '%d+') do dayHoles[#dayHoles + 1] = tonumber(n) end
    table.sort(dayHoles)
  end
end

-- A user's claims: a list of {seq, claimNo}.
local function parseClaims(value)
  local list = {}
  if not value then return list end
  for item in string.gmatch(value, '[^,]+') do
    local seq, no = string.match(item, '^(%d+):(%d+)$')
    if seq then
      list[#list + 1] = {tonumber(seq), tonumber(no)}
    else
      list[#list + 1] = {tonumber(item), #list + 1}
    end
  end
  return list
end

local function encodeClaims(list)
  local parts = {}
  for i, c in ipairs(list) do parts[i] = c[1] .. ':' .. c[2] end
  return table.concat(parts, ',')
end

local function seqsOf(list)
  local parts = {}
  for i, c in ipairs(list) do parts[i] = c[1] end
  return table.concat(parts, ',')
end

local function freeClaimNo(list)
  local used = {}
  for _, c in ipairs(list) do used[c[2]] = true end
  for n = 1, perUserLimit do
    if not used[n] then return n end
  end
  return nil
end

-- Holes exist only after a rebuild: counted once, so that a batch without any (nearly every
-- one) makes no ZPOPMIN call per claim.
local holesLeft = redis.call('ZCARD', KEYS[4])

local outcomes = {}
for i = 2, #ARGV, 2 do
  local userId = ARGV[i]
  local at = ARGV[i + 1]
  -- A user with no claim yet (most claimants of a surge) takes claim number 1 without the
  -- tables a user's list needs (perUserLimit is at least 1).
  local value = redis.call('HGET', KEYS[2], userId)
  local list = value and parseClaims(value)
  local claimNo = 1
  if list then claimNo = freeClaimNo(list) end
  if not claimNo then
    outcomes[#outcomes + 1] = {-2, seqsOf(list)}
  elseif claimed >= stock then
    outcomes[#outcomes + 1] = {-3}
  elseif dailyQuota > 0 and dayCount >= dailyQuota then
    outcomes[#outcomes + 1] = {-4}
  else
    local seq
    if holesLeft > 0 then
      holesLeft = holesLeft - 1
      seq = tonumber(redis.call('ZPOPMIN', KEYS[4])[1])
    else
      nextSeq = nextSeq + 1
      seq = nextSeq
    end
    claimed = claimed + 1
    local daySeq = 0
    if dailyQuota > 0 then
      dayCount = dayCount + 1
      if #dayHoles > 0 then
        daySeq = table.remove(dayHoles, 1)
      else
        dayMax = dayMax + 1
        daySeq = dayMax
      end
    end
    if list then
      list[#list + 1] = {seq, claimNo}
      redis.call('HSET', KEYS[2], userId, encodeClaims(list))
    else
      redis.call('HSET', KEYS[2], userId, seq .. ':' .. claimNo)
    end
    local logId = redis.call('XADD', KEYS[3], '*', 'c',
      seq .. '|' .. claimNo .. '|' .. daySeq .. '|' .. day .. '|' .. at .. '|' .. userId)
    outcomes[#outcomes + 1] = {1, seq, claimNo, daySeq, logId}
  end
end

redis.call('HSET', KEYS[1], 'claimed', claimed, 'nextSeq', nextSeq)
if dailyQuota > 0 then
  redis.call('HSET', KEYS[1], 'd:' .. day, dayCount, 'dmax:' .. day, dayMax, 'dh:' .. day, table.concat(dayHoles, ','))
end
return outcomes
