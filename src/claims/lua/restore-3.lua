--[[
  Last step of a rebuild: writes the campaign's limits and counters, as recomputed from
  PostgreSQL, and marks the state ready. The users hash was written just before, while the state
  was still not ready (so no claim could be decided on partial data).

  Input:
    KEYS[1] st        campaign limits and counters (hash), see claim-4.lua
    KEYS[2] rebuild   the rebuild lease (string)
    KEYS[3] holes     seqs held by no stored claim, below the highest stored (zset)
    ARGV[1] lease token: the restore is applied only by the lease's holder
    ARGV[2] stock, ARGV[3] perUserLimit, ARGV[4] dailyQuota, ARGV[5] claimed (stored claims),
    ARGV[6] nextSeq (highest stored seq), ARGV[7] "seq,seq,..." the holes
    ARGV[8..] quadruples per local day: day, claims granted, highest day sequence, "n,n,..." free day sequences

  Output:
    1   restored
    0   the lease was lost (expired and taken by another instance): nothing written
]]
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[3])
redis.call('HSET', KEYS[1], 'stock', ARGV[2], 'perUserLimit', ARGV[3], 'dailyQuota', ARGV[4],
  'claimed', ARGV[5], 'nextSeq', ARGV[6])
for seq in string.gmatch(ARGV[7], '%d+') do redis.call('ZADD', KEYS[3], seq, seq) end
for i = 8, #ARGV, 4 do
  redis.call('HSET', KEYS[1], 'd:' .. ARGV[i], ARGV[i + 1], 'dmax:' .. ARGV[i], ARGV[i + 2], 'dh:' .. ARGV[i], ARGV[i + 3])
end
redis.call('HSET', KEYS[1], 'ready', 1)
redis.call('DEL', KEYS[2])
return 1
