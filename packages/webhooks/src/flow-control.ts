// The Coalescer lives in @integrador/store, whose outbox groups use it too; it holds no database code. @integrador/queue
// is no neutral home (it depends on store, whose outbox needs the Coalescer): a small util package would be, if it grows.
import { Coalescer } from '@integrador/store';
import type { Redis } from 'ioredis';

// Per-endpoint flow control shared by every worker process, so one dead or slow endpoint never holds the workers other
// endpoints need: a circuit breaker (after N consecutive failures the endpoint's deliveries wait for a cooldown), a rate
// limit (deliveries per second, fixed one-second windows) and a cap on deliveries in flight (leases that expire, so a
// crashed worker's slot frees itself). A refused delivery waits (moveToDelayed) without using an attempt. After the
// cooldown the breaker is half-open: one probe delivery goes through; its success closes it, its failure re-opens it.

// One call for the admissions and releases of a worker's concurrent deliveries (gathered by a Coalescer): under load a
// hundred deliveries take and give back their slots in one round trip, where each used to make two of its own. Every
// operation names its four keys (KEYS[4i+1..4i+4]: breaker, rate window, in-flight leases, half-open probe) so a
// Redis Cluster with a hash-tagged KEY_PREFIX sees them all; ARGV: now, breaker failures, probe lease, cooldown,
// then five per operation (kind 'a'dmit or 'r'elease, rate per second, concurrency cap, lease end, member).
// Releases run first: the slots they free serve the admissions of the same call.
// A script is not rolled back when it fails: each operation runs on its own (pcall) and a failed one answers its own
// error, so the others' slots are never taken by a call whose caller was told it failed. An admission is idempotent
// per member (a live lease answers ok; the probe its member holds is not refused): a call sent again after a lost reply
// (ioredis' resend, or the one-by-one fallback) takes no second slot, nor a second place in the rate window.
const FLOW_BATCH = `
local now = tonumber(ARGV[1])
local n = #KEYS / 4
local results = {}
local function call(...)
  local reply = redis.pcall(...)
  if type(reply) == 'table' and reply.err then error(reply.err, 0) end
  return reply
end
for i = 0, n - 1 do
  if ARGV[5 + i * 5] == 'r' then
    local ok, err = pcall(call, 'ZREM', KEYS[i * 4 + 3], ARGV[5 + i * 5 + 4])
    results[i + 1] = ok and {0, 'released'} or {0, 'error', tostring(err)}
  end
end
local swept = {}
local function admit(i)
  local a = 5 + i * 5
  local breaker, rateKey, inflight, probe = KEYS[i * 4 + 1], KEYS[i * 4 + 2], KEYS[i * 4 + 3], KEYS[i * 4 + 4]
  local rate, cap, leaseUntil, member = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]), ARGV[a + 4]
  local openUntil = tonumber(call('HGET', breaker, 'openUntil') or '0')
  local failures = tonumber(call('HGET', breaker, 'failures') or '0')
  if cap > 0 and not swept[inflight] then
    call('ZREMRANGEBYSCORE', inflight, '-inf', now)
    swept[inflight] = true
  end
  -- Admitted already (the same admission sent again): its live lease answers ok, renewed; an expired one was swept.
  if cap > 0 and call('ZSCORE', inflight, member) then
    call('ZADD', inflight, 'XX', leaseUntil, member)
    return {0, 'ok', failures}
  end
  if openUntil > now then return {openUntil - now, 'breaker'} end
  local halfOpen = failures >= tonumber(ARGV[2])
  if halfOpen then
    -- Half-open: one probe at a time; the others wait another cooldown.
    local holder = call('GET', probe)
    if holder and holder ~= member then return {tonumber(ARGV[4]), 'breaker'} end
  end
  if cap > 0 and call('ZCARD', inflight) >= cap then return {100, 'concurrency'} end
  if rate > 0 then
    -- The window holds admitted deliveries only (an admitted one sent again answered above, on its lease). Counting
    -- refused ones too (INCR first) admitted the same deliveries; this keeps the counter equal to what it limits.
    if tonumber(call('GET', rateKey) or '0') >= rate then return {1000 - (now % 1000), 'rate'} end
    if call('INCR', rateKey) == 1 then call('PEXPIRE', rateKey, 2000) end
  end
  -- The probe is taken last: an admission refused or failed above never holds it.
  if halfOpen then call('SET', probe, member, 'PX', ARGV[3]) end
  if cap > 0 then
    call('ZADD', inflight, leaseUntil, member)
    call('PEXPIRE', inflight, leaseUntil - now + 1000)
  end
  return {0, 'ok', failures}
end
for i = 0, n - 1 do
  if ARGV[5 + i * 5] == 'a' then
    local ok, result = pcall(admit, i)
    results[i + 1] = ok and result or {0, 'error', tostring(result)}
  end
end
return results
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

/** A flow-control operation Redis refused (e.g. a key of the wrong type): the delivery fails and retries. */
export class FlowControlError extends Error {
  override name = 'FlowControlError';
  constructor(
    readonly endpointId: number,
    reason: string,
  ) {
    super(`webhook flow control of endpoint ${endpointId} failed: ${reason}`);
  }
}

/** One operation's answer: [wait ms, 'ok' | refusal reason | 'released', breaker failures] or [0, 'error', message]. */
type FlowReply = [number, string, (number | string)?];

/** The scripts above as commands (ioredis sends EVALSHA, and the script itself only once per connection). */
interface FlowCommands {
  webhookFlowBatch(numberOfKeys: number, ...args: (string | number)[]): Promise<FlowReply[]>;
  webhookFlowFailed(...args: (string | number)[]): Promise<number>;
}

/** One admission or release waiting for the next batch. */
type FlowOp =
  | { kind: 'a'; endpointId: number; ratePerSecond: number | null; member: string }
  | { kind: 'r'; endpointId: number; member: string };

export class EndpointFlowControl {
  private readonly redis: Redis & FlowCommands;
  private readonly batches: Coalescer<FlowOp, FlowReply>;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly options: { breakerFailures: number; breakerCooldownMs: number; endpointConcurrency: number; leaseMs: number },
  ) {
    redis.defineCommand('webhookFlowBatch', { lua: FLOW_BATCH });
    redis.defineCommand('webhookFlowFailed', { lua: FAILED, numberOfKeys: 2 });
    this.redis = redis as Redis & FlowCommands;
    // One call in flight; the operations made meanwhile go together in the next (no timer: one delivery alone waits
    // for nothing). Each operation answers on its own inside the call; only a failed round trip (a lost connection)
    // is retried operation by operation, and an admission sent again is idempotent.
    this.batches = new Coalescer<FlowOp, FlowReply>({
      name: 'webhook flow control',
      runGroup: (ops) => this.run(ops),
      runOne: async (op) => (await this.run([op]))[0] as FlowReply,
      maxItems: 500,
      maxRunning: 1,
    });
  }

  private key(kind: string, endpointId: number): string {
    return `${this.prefix}:webhook:${kind}:${endpointId}`;
  }

  private async run(ops: FlowOp[]): Promise<FlowReply[]> {
    const now = Date.now();
    const keys: string[] = [];
    const args: (string | number)[] = [now, this.options.breakerFailures, this.options.leaseMs, this.options.breakerCooldownMs];
    for (const op of ops) {
      keys.push(
        this.key('breaker', op.endpointId),
        this.key(`rate:${Math.floor(now / 1000)}`, op.endpointId),
        this.key('inflight', op.endpointId),
        this.key('probe', op.endpointId),
      );
      const rate = op.kind === 'a' ? (op.ratePerSecond ?? 0) : 0;
      args.push(op.kind, rate, this.options.endpointConcurrency, now + this.options.leaseMs, op.member);
    }
    return this.redis.webhookFlowBatch(keys.length, ...keys, ...args);
  }

  /** Takes a slot for one delivery, or answers how long it must wait (batched with the process's other deliveries). */
  async admit(endpointId: number, ratePerSecond: number | null, member: string): Promise<FlowAdmission> {
    const [waitMs, reason, failures] = await this.batches.add({ kind: 'a', endpointId, ratePerSecond, member });
    if (reason === 'error') throw new FlowControlError(endpointId, String(failures));
    return waitMs > 0
      ? { refused: { waitMs, reason: reason as FlowRefusal['reason'] } }
      : { refused: undefined, failures: Number(failures ?? 0) };
  }

  /** Gives the slot back (batched with the process's other admissions and releases). */
  async release(endpointId: number, member: string): Promise<void> {
    const [, reason, message] = await this.batches.add({ kind: 'r', endpointId, member });
    if (reason === 'error') throw new FlowControlError(endpointId, String(message));
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
