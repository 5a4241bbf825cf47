--[[
  Gives back the units of accepted claims that will never be stored (the durable pipeline parked
  them: PostgreSQL refused their data, or a different stored claim holds their place), so that the
  campaign converges: claimed = stored, and the stock sells in full. Each claim is released only if
  the user still holds that seq (a second release, or one after a rebuild, changes nothing).

  Input:
    KEYS[1] st     campaign counters (hash), see claim-4.lua
    KEYS[2] users  userId -> "seq:claimNo,..." (hash)
    KEYS[3] holes  seqs free for reuse (zset)
    ARGV    quadruples: seq, userId, local day ('' without a daily quota), day sequence (0 without)

  Output: the number of claims released
]]
local released = 0
for i = 1, #ARGV, 4 do
  local seq, userId, day, daySeq = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
  local held = redis.call('HGET', KEYS[2], userId)
  if held then
    local kept, found = {}, false
    for item in string.gmatch(held, '[^,]+') do
      local itemSeq = string.match(item, '^(%d+)')
      if itemSeq == seq and not found then found = true else kept[#kept + 1] = item end
    end
    if found then
      if #kept > 0 then redis.call('HSET', KEYS[2], userId, table.concat(kept, ',')) else redis.call('HDEL', KEYS[2], userId) end
      redis.call('HINCRBY', KEYS[1], 'claimed', -1)
      redis.call('ZADD', KEYS[3], seq, seq)
      if day ~= '' and daySeq > 0 then
        redis.call('HINCRBY', KEYS[1], 'd:' .. day, -1)
        local holes = redis.call('HGET', KEYS[1], 'dh:' .. day)
        redis.call('HSET', KEYS[1], 'dh:' .. day, (holes and holes ~= '') and (holes .. ',' .. daySeq) or tostring(daySeq))
      end
      released = released + 1
    end
  end
end
return released
