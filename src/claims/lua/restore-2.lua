--[[
  Last step of a rebuild: writes the campaign's limits and counters, as recomputed from
  PostgreSQL, and marks the state ready. The users hash was written just before, while the state
  was still not ready (so no claim could be decided on partial data).

  Input:
    KEYS[1] st        campaign limits and counters (hash)
    KEYS[2] rebuild   the rebuild lease (string)
    ARGV[1] lease token: the restore is applied only by the lease's holder
    ARGV[2] stock, ARGV[3] perUserLimit, ARGV[4] dailyQuota, ARGV[5] claimed
    ARGV[6..] pairs of local day and claims granted that day

  Output:
    1   restored
    0   the lease was lost (expired and taken by another instance): nothing written
]]
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'stock', ARGV[2], 'perUserLimit', ARGV[3], 'dailyQuota', ARGV[4], 'claimed', ARGV[5])
for i = 6, #ARGV, 2 do
  redis.call('HSET', KEYS[1], 'd:' .. ARGV[i], ARGV[i + 1])
end
redis.call('HSET', KEYS[1], 'ready', 1)
redis.call('DEL', KEYS[2])
return 1
