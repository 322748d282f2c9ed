/**
 * The limits layer's Lua, registered with ioredis defineCommand (EVALSHA after the first call). One script per
 * decision keeps it atomic across every worker process: no two workers can both take the last token or slot.
 */

/**
 * take: may a job (or an outbound call) start now under every scope given?
 *
 * KEYS[1] the empresa's reservations zset; then per scope i: KEYS[2i] its GCRA tat, KEYS[2i+1] its leases zset.
 * ARGV[1] now (ms), ARGV[2] reservation member, ARGV[3] "1" = look the member up (the job was delayed before),
 * ARGV[4] lease member, ARGV[5] lease expiry (ms), ARGV[6] how long a concurrency refusal waits (ms);
 * per scope i: ARGV[3+4i] rate/s (0 = none but a Retry-After cooldown may apply; -1 = neither, its tat is not read),
 * ARGV[4+4i] burst, ARGV[5+4i] concurrency (0 = none), ARGV[6+4i] tokens wanted (≥ 1: a process may take a few
 * at once and hand them out locally for a few ms — at most what the burst allows now, so the limit still holds).
 *
 * Returns {1, granted_1, …, granted_n} when admitted (leases taken; granted_i tokens of rate scope i, the first one
 * used by this call), or {0, until, scopeIndex, reason} with reason 1 = rate (a slot at `until` is reserved for
 * this member), 2 = concurrency, 3 = cooldown (Retry-After).
 *
 * Rate is GCRA (a token bucket expressed as one timestamp per scope): a refused job is given the next free
 * slot and delayed until it, so a backlog is spread out instead of retrying all at once, and uses one
 * token however long it waits.
 */
export const TAKE_SCRIPT = `
local now = tonumber(ARGV[1])
local n = (#KEYS - 1) / 2
local reserved = false
if ARGV[3] == '1' and redis.call('ZSCORE', KEYS[1], ARGV[2]) then reserved = true end

local granted = {1}
for i = 1, n do granted[i + 1] = 0 end

for i = 1, n do
  local conc = tonumber(ARGV[5 + 4 * i])
  if conc > 0 then
    local key = KEYS[2 * i + 1]
    if redis.call('ZCARD', key) >= conc then
      redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
      if redis.call('ZCARD', key) >= conc then return {0, now + tonumber(ARGV[6]), i, 2} end
    end
  end
end

if not reserved then
  local at = now
  local culprit = 0
  local reason = 1
  local tats = {}
  for i = 1, n do
    local rate = tonumber(ARGV[3 + 4 * i])
    if rate >= 0 then
      local tat = tonumber(redis.call('GET', KEYS[2 * i]) or '0')
      tats[i] = tat
      local allowed
      if rate > 0 then
        local tolerance = (1000 / rate) * (tonumber(ARGV[4 + 4 * i]) - 1)
        allowed = math.max(tat, now) - tolerance
      else
        allowed = tat
      end
      if allowed > at then at = allowed; culprit = i; reason = rate > 0 and 1 or 3 end
    end
  end
  for i = 1, n do
    local rate = tonumber(ARGV[3 + 4 * i])
    if rate > 0 then
      local interval = 1000 / rate
      local start = math.max(tats[i], at)
      local take = 1
      if at <= now then
        -- Tokens the burst allows right now, up to the number wanted.
        local slack = interval * (tonumber(ARGV[4 + 4 * i]) - 1) - (start - now)
        take = math.max(1, math.min(tonumber(ARGV[6 + 4 * i]), math.floor(slack / interval) + 1))
      end
      granted[i + 1] = take
      local nextTat = start + take * interval
      redis.call('SET', KEYS[2 * i], tostring(nextTat), 'PX', math.ceil(nextTat - now) + 1000)
    end
  end
  if at > now then
    if reason == 1 then
      redis.call('ZADD', KEYS[1], at, ARGV[2])
      -- Reservations of jobs removed while delayed would stay forever: drop those an hour past their slot.
      redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 3600000)
    end
    return {0, math.ceil(at), culprit, reason}
  end
else
  redis.call('ZREM', KEYS[1], ARGV[2])
end

for i = 1, n do
  if tonumber(ARGV[5 + 4 * i]) > 0 then redis.call('ZADD', KEYS[2 * i + 1], ARGV[5], ARGV[4]) end
end
return granted
`;

/**
 * cooldown: a target asked us to wait (429 / Retry-After): nothing of the scope may start before `until`.
 * KEYS[1] the scope's tat; ARGV[1] now, ARGV[2] until (ms), ARGV[3] rate/s (0 = none), ARGV[4] burst.
 */
export const COOLDOWN_SCRIPT = `
local rate = tonumber(ARGV[3])
local tolerance = 0
if rate > 0 then tolerance = (1000 / rate) * (tonumber(ARGV[4]) - 1) end
local wanted = tonumber(ARGV[2]) + tolerance
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if wanted > tat then
  redis.call('SET', KEYS[1], tostring(wanted), 'PX', math.ceil(wanted - tonumber(ARGV[1])) + 1000)
end
return 1
`;
