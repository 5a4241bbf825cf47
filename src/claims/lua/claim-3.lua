--[[
  Decides claims, in the order given, each atomically: state present -> per-user limit -> stock ->
  daily quota -> record -> append to the campaign's log. Accepted <=> logged: the log entry is what
  makes an accepted claim recoverable until PostgreSQL has it. Instances batch the claims to one
  campaign that arrive in the same event-loop turn into one call.

  Input:
    KEYS[1] st     campaign limits and counters (hash): ready, stock, perUserLimit, dailyQuota,
                   claimed, d:<day> (claims granted on a local day)
    KEYS[2] users  userId -> "seq,seq,..." (hash)
    KEYS[3] log    accepted claims awaiting persistence (stream)
    ARGV[1] local day "YYYY-MM-DD" of a daily campaign, or ''
    ARGV[2..n] pairs: userId, claim time in ms since the epoch

  Output:
    {-1}                    state missing (Redis lost it): rebuild first; nothing decided
    { outcome, ... }        one per userId:
      {1, seq, userClaimNo, daySeq, logId}  accepted (daySeq 0 without a daily quota)
      {-2, "seq,seq"}                       the user reached perUserLimit; their claims' seqs
      {-3}                                  sold out
      {-4}                                  today's quota is used up
]]
local st = redis.call('HMGET', KEYS[1], 'ready', 'stock', 'perUserLimit', 'dailyQuota', 'claimed')
if st[1] ~= '1' then return {-1} end
local stock = tonumber(st[2])
local perUserLimit = tonumber(st[3])
local dailyQuota = tonumber(st[4])
local claimed = tonumber(st[5])
local day = ARGV[1]
local dayKey = 'd:' .. day
local dayGranted = 0
if dailyQuota > 0 then dayGranted = tonumber(redis.call('HGET', KEYS[1], dayKey) or '0') end

local outcomes = {}
for i = 2, #ARGV, 2 do
  local userId = ARGV[i]
  local at = ARGV[i + 1]
  local mine = redis.call('HGET', KEYS[2], userId)
  local userClaims = 0
  if mine then
    local _, commas = string.gsub(mine, ',', '')
    userClaims = commas + 1
  end
  if userClaims >= perUserLimit then
    outcomes[#outcomes + 1] = {-2, mine}
  elseif claimed >= stock then
    outcomes[#outcomes + 1] = {-3}
  elseif dailyQuota > 0 and dayGranted >= dailyQuota then
    outcomes[#outcomes + 1] = {-4}
  else
    claimed = claimed + 1
    local daySeq = 0
    if dailyQuota > 0 then
      dayGranted = dayGranted + 1
      daySeq = dayGranted
    end
    redis.call('HSET', KEYS[2], userId, mine and (mine .. ',' .. claimed) or tostring(claimed))
    local logId = redis.call('XADD', KEYS[3], '*', 'c',
      claimed .. '|' .. (userClaims + 1) .. '|' .. daySeq .. '|' .. day .. '|' .. at .. '|' .. userId)
    outcomes[#outcomes + 1] = {1, claimed, userClaims + 1, daySeq, logId}
  end
end

redis.call('HSET', KEYS[1], 'claimed', claimed)
if dailyQuota > 0 then redis.call('HSET', KEYS[1], dayKey, dayGranted) end
return outcomes
