/**
 * The limits layer's Lua, registered with ioredis defineCommand (EVALSHA after the first call). One script per
 * decision keeps it atomic across every worker process: no two workers can both take the last token or slot.
 */

/**
 * take: may a job (or an outbound call) start now under every scope given?
 *
 * KEYS[1] the empresa's reservations zset; then per scope i: KEYS[2i] its GCRA tat, KEYS[2i+1] its leases zset; last,
 * KEYS[2n+2] the empresa's slot-waits zset.
 * ARGV[1] now (ms), ARGV[2] reservation member, ARGV[3] "1" = look the member up (the job was delayed before),
 * ARGV[4] slot member prefix (unique per call), ARGV[5] slot expiry (ms), ARGV[6] how long a concurrency refusal waits
 * (ms); per scope i: ARGV[2+5i] rate/s (0 = none but a Retry-After cooldown may apply; -1 = neither, its tat is not
 * read), ARGV[3+5i] burst, ARGV[4+5i] concurrency (0 = no slot taken here), ARGV[5+5i] tokens wanted, ARGV[6+5i] slots
 * wanted (≥ 1 each: a process may take a few tokens or slots at once and hand them out locally — never more than the
 * burst or the free slots allow now, so the limits still hold across every process); last, ARGV[7+5n] the job's
 * slot-wait member ('' = none): a job delayed before leaves the slot waits once admitted, or once delayed by the rate
 * (its reservation counts it then) — GET /v1/limits counts the rest as waiting, due or not.
 *
 * Returns {1, tokens_1, …, tokens_n, slots_1, …, slots_n} when admitted (tokens_i of rate scope i, slots_i members
 * "<prefix>#1" … "<prefix>#slots_i" added to scope i's leases; the first token and slot are this call's own), or
 * {0, until, scopeIndex, reason} with reason 1 = rate (a slot at `until` is reserved for this member),
 * 2 = concurrency, 3 = cooldown (Retry-After).
 *
 * Rate is GCRA (a token bucket expressed as one timestamp per scope): a refused job is given the next free
 * slot and delayed until it, so a backlog is spread out instead of retrying all at once, and uses one
 * token however long it waits.
 */
export const TAKE_SCRIPT = `
local now = tonumber(ARGV[1])
local n = (#KEYS - 2) / 2
local reserved = false
if ARGV[3] == '1' and redis.call('ZSCORE', KEYS[1], ARGV[2]) then reserved = true end
local waiter = ARGV[7 + 5 * n]
local returning = ARGV[3] == '1' and waiter ~= ''

local granted = {1}
for i = 1, 2 * n do granted[i + 1] = 0 end

local slots = {}
for i = 1, n do
  local conc = tonumber(ARGV[4 + 5 * i])
  if conc > 0 then
    local key = KEYS[2 * i + 1]
    local free = conc - redis.call('ZCARD', key)
    if free <= 0 then
      redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
      free = conc - redis.call('ZCARD', key)
      if free <= 0 then return {0, now + tonumber(ARGV[6]), i, 2} end
    end
    slots[i] = math.min(free, tonumber(ARGV[6 + 5 * i]))
  end
end

if not reserved then
  local at = now
  local culprit = 0
  local reason = 1
  local tats = {}
  for i = 1, n do
    local rate = tonumber(ARGV[2 + 5 * i])
    if rate >= 0 then
      local tat = tonumber(redis.call('GET', KEYS[2 * i]) or '0')
      tats[i] = tat
      local allowed
      if rate > 0 then
        local tolerance = (1000 / rate) * (tonumber(ARGV[3 + 5 * i]) - 1)
        allowed = math.max(tat, now) - tolerance
      else
        allowed = tat
      end
      if allowed > at then at = allowed; culprit = i; reason = rate > 0 and 1 or 3 end
    end
  end
  for i = 1, n do
    local rate = tonumber(ARGV[2 + 5 * i])
    if rate > 0 then
      local interval = 1000 / rate
      local start = math.max(tats[i], at)
      local take = 1
      if at <= now then
        -- Tokens the burst allows right now, up to the number wanted.
        local slack = interval * (tonumber(ARGV[3 + 5 * i]) - 1) - (start - now)
        take = math.max(1, math.min(tonumber(ARGV[5 + 5 * i]), math.floor(slack / interval) + 1))
      end
      granted[i + 1] = take
      local nextTat = start + take * interval
      redis.call('SET', KEYS[2 * i], tostring(nextTat), 'PX', math.ceil(nextTat - now) + 1000)
    end
  end
  if at > now then
    if reason == 1 then
      redis.call('ZADD', KEYS[1], at, ARGV[2])
      -- A job back from a slot wait now waits for its rate slot: counted once, as rate, not also as concurrency.
      if returning then redis.call('ZREM', KEYS[#KEYS], waiter) end
      -- Reservations of jobs removed while delayed would stay forever: drop those an hour past their slot.
      redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 3600000)
    end
    return {0, math.ceil(at), culprit, reason}
  end
else
  redis.call('ZREM', KEYS[1], ARGV[2])
end
if returning then redis.call('ZREM', KEYS[#KEYS], waiter) end

for i = 1, n do
  local count = slots[i]
  if count then
    local members = {}
    for j = 1, count do
      members[2 * j - 1] = ARGV[5]
      members[2 * j] = ARGV[4] .. '#' .. j
    end
    redis.call('ZADD', KEYS[2 * i + 1], unpack(members))
    granted[n + i + 1] = count
  end
end
return granted
`;

/**
 * cooldown: a target asked us to wait (429 / Retry-After): nothing of the scope may start before `until`.
 * KEYS[1] the scope's tat, KEYS[2] the cooldowns hash; ARGV[1] now, ARGV[2] until (ms), ARGV[3] rate/s (0 = none),
 * ARGV[4] burst, ARGV[5] the scope's name. The cooldown is also listed in the hash (expired entries dropped), which
 * every worker polls: that is how a worker learns that a scope without a limit must be checked in Redis again.
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
local listed = redis.call('HGETALL', KEYS[2])
for i = 1, #listed, 2 do
  if tonumber(listed[i + 1]) < tonumber(ARGV[1]) then redis.call('HDEL', KEYS[2], listed[i]) end
end
local known = tonumber(redis.call('HGET', KEYS[2], ARGV[5]) or '0')
if wanted > known then redis.call('HSET', KEYS[2], ARGV[5], tostring(math.ceil(wanted))) end
return 1
`;
