import type { Redis } from 'ioredis';

// Per-endpoint flow control shared by every worker process, so one dead or slow endpoint never holds the workers other
// endpoints need: a circuit breaker (after N consecutive failures the endpoint's deliveries wait for a cooldown), a rate
// limit (deliveries per second, fixed one-second windows) and a cap on deliveries in flight (leases that expire, so a
// crashed worker's slot frees itself). A refused delivery waits (moveToDelayed) without using an attempt. After the
// cooldown the breaker is half-open: one probe delivery goes through; its success closes it, its failure re-opens it.

const ADMIT = `
local now = tonumber(ARGV[1])
local openUntil = tonumber(redis.call('HGET', KEYS[1], 'openUntil') or '0')
if openUntil > now then return {openUntil - now, 'breaker'} end
local failures = tonumber(redis.call('HGET', KEYS[1], 'failures') or '0')
if failures >= tonumber(ARGV[6]) then
  -- Half-open: one probe at a time; the others wait another cooldown.
  if not redis.call('SET', KEYS[4], ARGV[5], 'PX', ARGV[7], 'NX') then return {tonumber(ARGV[8]), 'breaker'} end
end
local cap = tonumber(ARGV[3])
if cap > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
  if redis.call('ZCARD', KEYS[3]) >= cap then return {100, 'concurrency'} end
end
local rate = tonumber(ARGV[2])
if rate > 0 then
  local n = redis.call('INCR', KEYS[2])
  if n == 1 then redis.call('PEXPIRE', KEYS[2], 2000) end
  if n > rate then return {1000 - (now % 1000), 'rate'} end
end
if cap > 0 then
  redis.call('ZADD', KEYS[3], tonumber(ARGV[4]), ARGV[5])
  redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[4]) - now + 1000)
end
return {0, 'ok', failures}
`;

const FAILED = `
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
if failures >= tonumber(ARGV[1]) then redis.call('HSET', KEYS[1], 'openUntil', ARGV[2]) end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('DEL', KEYS[2])
return failures
`;

/** Refusal of a delivery by the endpoint's flow control: wait this long, for this reason. */
export interface FlowRefusal {
  waitMs: number;
  reason: 'breaker' | 'concurrency' | 'rate';
}

/** Admission: a refusal, or a slot and whether the breaker holds failures a success must clear. */
export type FlowAdmission = { refused: FlowRefusal } | { refused: undefined; failures: number };

/** The scripts above as commands (ioredis sends EVALSHA, and the script itself only once per connection). */
interface FlowCommands {
  webhookFlowAdmit(...args: (string | number)[]): Promise<[number, string, number?]>;
  webhookFlowFailed(...args: (string | number)[]): Promise<number>;
}

export class EndpointFlowControl {
  private readonly redis: Redis & FlowCommands;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly options: { breakerFailures: number; breakerCooldownMs: number; endpointConcurrency: number; leaseMs: number },
  ) {
    redis.defineCommand('webhookFlowAdmit', { lua: ADMIT, numberOfKeys: 4 });
    redis.defineCommand('webhookFlowFailed', { lua: FAILED, numberOfKeys: 2 });
    this.redis = redis as Redis & FlowCommands;
  }

  private key(kind: string, endpointId: number): string {
    return `${this.prefix}:webhook:${kind}:${endpointId}`;
  }

  /** Takes a slot for one delivery, or answers how long it must wait. */
  async admit(endpointId: number, ratePerSecond: number | null, member: string): Promise<FlowAdmission> {
    const now = Date.now();
    const [waitMs, reason, failures] = await this.redis.webhookFlowAdmit(
      this.key('breaker', endpointId),
      this.key(`rate:${Math.floor(now / 1000)}`, endpointId),
      this.key('inflight', endpointId),
      this.key('probe', endpointId),
      now,
      ratePerSecond ?? 0,
      this.options.endpointConcurrency,
      now + this.options.leaseMs,
      member,
      this.options.breakerFailures,
      this.options.leaseMs,
      this.options.breakerCooldownMs,
    );
    return waitMs > 0
      ? { refused: { waitMs, reason: reason as FlowRefusal['reason'] } }
      : { refused: undefined, failures: Number(failures ?? 0) };
  }

  /** Gives the slot back. */
  async release(endpointId: number, member: string): Promise<void> {
    await this.redis.zrem(this.key('inflight', endpointId), member);
  }

  /** A success closes the breaker. */
  async succeeded(endpointId: number): Promise<void> {
    await this.redis.del(this.key('breaker', endpointId), this.key('probe', endpointId));
  }

  /** A failure counts toward opening the breaker (it re-opens at once after its cooldown if failures go on). */
  async failed(endpointId: number): Promise<number> {
    const openUntil = Date.now() + this.options.breakerCooldownMs;
    return Number(
      await this.redis.webhookFlowFailed(
        this.key('breaker', endpointId),
        this.key('probe', endpointId),
        this.options.breakerFailures,
        openUntil,
        this.options.breakerCooldownMs * 10,
      ),
    );
  }
}
