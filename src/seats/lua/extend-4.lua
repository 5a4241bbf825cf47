--[[
  Extends a live hold by the show's hold time, at most maxExt times.

  Input:
    KEYS[1] st  KEYS[2] holds  KEYS[3] exp  KEYS[4] gone   (see hold-7.lua, expire-10.lua)
    ARGV[1] now (ms), ARGV[2] holdId, ARGV[3] actor kind ("u" user, "p" partner, "a" admin),
    ARGV[4] actor id

  Output:
    {-1}                      state missing: rebuild first
    {1, expiresAt, extensions} extended
    {-4}                      the hold was extended maxExt times already
    {-5}                      no such hold (or not the actor's)
    {-6}                      the hold expired
]]
local config = redis.call('HMGET', KEYS[1], 'ready', 'holdMs', 'maxExt')
if config[1] ~= '1' then return {-1} end
local now = tonumber(ARGV[1])
local raw = redis.call('HGET', KEYS[2], ARGV[2])
if not raw then
  local gone = redis.call('HGET', KEYS[4], ARGV[2])
  if gone then
    local rec = cjson.decode(gone)
    if rec.k == 'E' and owns(rec, ARGV[3], ARGV[4]) then return {-6} end
  end
  return {-5}
end
local hold = cjson.decode(raw)
if not owns(hold, ARGV[3], ARGV[4]) then return {-5} end
if hold.e <= now then return {-6} end
if hold.x >= tonumber(config[3]) then return {-4} end
hold.x = hold.x + 1
hold.e = hold.e + tonumber(config[2])
redis.call('HSET', KEYS[2], ARGV[2], cjson.encode(hold))
redis.call('ZADD', KEYS[3], hold.e, ARGV[2])
return {1, hold.e, hold.x}
