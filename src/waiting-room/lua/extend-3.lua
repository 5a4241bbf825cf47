--[[
  Extends a session by sessionMs from its current expiry (extending 5 s into a 300 s session
  gives 595 s more, not 300), at most maxExtensions times. Only the newest token of
  a session may extend it, so a copied older token cannot be used to extend twice.

  Input:
    KEYS[1] cfg      room configuration (hash): sessionMs, maxExtensions
    KEYS[2] status   ticketNo -> state (hash), see admit-7.lua
    KEYS[3] active   ticketNo -> deadline ms (zset)
    ARGV[1] ticketNo
    ARGV[2] extension count carried by the presented token

  Output:
    {1, iat, exp, ext}   extended
    {-1}                 no session in progress (never opened, over, left or completed)
    {-2}                 the presented token is not the session's newest
    {-3}                 extension limit reached
]]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local ticketNo = ARGV[1]

local status = redis.call('HGET', KEYS[2], ticketNo)
if not status then return {-1} end
local iat, exp, ext = string.match(status, '^S|(%d+)|(%d+)|(%d+)$')
if not iat or tonumber(exp) <= now then return {-1} end
ext = tonumber(ext)
if ext ~= tonumber(ARGV[2]) then return {-2} end

local cfg = redis.call('HMGET', KEYS[1], 'sessionMs', 'maxExtensions')
if ext >= tonumber(cfg[2]) then return {-3} end

local newExp = tonumber(exp) + tonumber(cfg[1])
redis.call('HSET', KEYS[2], ticketNo, 'S|' .. now .. '|' .. newExp .. '|' .. (ext + 1))
redis.call('ZADD', KEYS[3], newExp, ticketNo)
return {1, now, newExp, ext + 1}
