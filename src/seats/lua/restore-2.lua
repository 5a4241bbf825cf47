--[[
  Last step of writing a show's state (at creation, or a rebuild from PostgreSQL): the rows, run
  summaries, layout, users, idempotency keys and bookings were written just before, while the
  state was not ready (no decision can be made on partial data); this writes the configuration
  and counters and marks the state ready.

  Input:
    KEYS[1] st        (see seat-state.lib.lua)
    KEYS[2] rebuild   the rebuild lease (string)
    ARGV[1] lease token ('' at creation: no lease)
    ARGV[2..] field, value pairs of st (configuration and counters)

  Output:
    1   written and ready
    0   the lease was lost (expired and taken by another instance): nothing written
]]
if ARGV[1] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
for i = 2, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('HSET', KEYS[1], 'ready', 1)
if ARGV[1] ~= '' then redis.call('DEL', KEYS[2]) end
return 1
