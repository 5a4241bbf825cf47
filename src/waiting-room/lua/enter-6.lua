--[[
  Enters users into a room's queue, in the order given, or returns the live ticket a user already
  holds (refresh, second tab, second device). A user whose ticket ended (left, expired,
  completed) gets a new ticket at the back. Instances batch the entries that arrive within a
  millisecond into one call: one script run for many users, each entry decided in turn.

  Input:
    KEYS[1] cfg      room configuration (hash)
    KEYS[2] st       room counters (hash): issued, served, opened, prequeueSize; lastRun (see below)
    KEYS[3] users    userId -> ticketNo (hash)
    KEYS[4] tickets  ticketNo -> "enteredAtMs|userId" (hash)
    KEYS[5] status   ticketNo -> state of tickets past the front (hash)
    KEYS[6] seen     ticketNo -> last poll time (zset); not written here: until a ticket's first
                     poll is recorded, admission takes its entry time from KEYS[4]
    ARGV[1..n] userIds

  Output:
    {-1}                                                 room not found
    { {code, ticketNo, status}, ... }, served, opened, prequeueSize }  one triple per ARGV
      code 1 = new ticket, 2 = the user's existing live ticket; status '' while waiting
]]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

local opensAt = redis.call('HGET', KEYS[1], 'opensAt')
if not opensAt then return {-1} end
opensAt = tonumber(opensAt)

local st = redis.call('HMGET', KEYS[2], 'issued', 'served', 'opened', 'prequeueSize')
local issued = tonumber(st[1]) or 0
local served = tonumber(st[2]) or 0
local opened = tonumber(st[3]) or 0
local prequeueSize = tonumber(st[4]) or 0

-- Opening is also decided here (not only in admit), so that no one entering after opensAt
-- can land in the pre-queue just because the admission step has not run yet.
if opened == 0 and now >= opensAt then
  opened = 1
  prequeueSize = issued
  redis.call('HSET', KEYS[2], 'opened', 1, 'prequeueSize', issued)
end

-- Credit accrues only while someone waits (admit-7.lua): the first tickets into a dry queue
-- restart its clock, however long ago the last admission step ran (idle rooms are stepped rarely).
local wasDry = opened == 1 and served >= issued
local issuedBefore = issued

local entries = {}
-- New tickets are written with one HSET per hash at the end (per-call overhead dominates these
-- scripts); `batch` answers a user who appears twice in this batch before that write.
local batch = {}
local userFields, ticketFields = {}, {}
for i, userId in ipairs(ARGV) do
  local entry = nil
  local existing = batch[userId] or redis.call('HGET', KEYS[3], userId)
  if existing then
    local status = redis.call('HGET', KEYS[5], existing)
    local kind = status and string.sub(status, 1, 1)
    if not status or kind == 'A' or kind == 'S' then entry = {2, tonumber(existing), status or ''} end
  end
  if not entry then
    issued = issued + 1
    batch[userId] = issued
    userFields[#userFields + 1] = userId
    userFields[#userFields + 1] = issued
    ticketFields[#ticketFields + 1] = issued
    ticketFields[#ticketFields + 1] = now .. '|' .. userId
    entry = {1, issued, ''}
  end
  entries[i] = entry
end
if #userFields > 0 then
  redis.call('HSET', KEYS[3], unpack(userFields))
  redis.call('HSET', KEYS[4], unpack(ticketFields))
end
if wasDry and issued > issuedBefore then
  redis.call('HSET', KEYS[2], 'issued', issued, 'lastRun', now)
else
  redis.call('HSET', KEYS[2], 'issued', issued)
end
return {entries, served, opened, prequeueSize}
