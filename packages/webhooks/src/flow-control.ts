// The Coalescer lives in @integrador/store, whose outbox groups use it too; it holds no database code. @integrador/queue
// is no neutral home (it depends on store, whose outbox needs the Coalescer): a small util package would be, if it grows.
import { Coalescer } from '@integrador/store';
import type { Redis } from 'ioredis';

/** How many of an endpoint's latest failures are remembered so that one sent again is counted once. */
const FAILURES_REMEMBERED = 1000;

// Per-endpoint flow control shared by every worker process, so one dead or slow endpoint never holds the workers other
// endpoints need: a circuit breaker (after N consecutive failures the endpoint's deliveries wait for a cooldown), a rate
// limit (deliveries per second, fixed one-second windows) and a cap on deliveries in flight (leases that expire, so a
// crashed worker's slot frees itself). A refused delivery waits (moveToDelayed) without using an attempt. After the
// cooldown the breaker is half-open: one probe delivery goes through; its success closes it, its failure re-opens it.

// One call for the admissions, releases, failures and successes of a worker's concurrent deliveries (gathered by a
// Coalescer): under load a hundred deliveries take and give back their slots, or report how their attempts went, in
// one round trip, where each used to make its own. Every operation names its four keys (KEYS[4i+1..4i+4]: breaker,
// rate window — for a failure or a success, the failures counted lately —, in-flight leases, half-open probe) so a
// Redis Cluster with a hash-tagged KEY_PREFIX sees them all; ARGV: now, breaker failures, probe lease, cooldown, then
// five per operation (kind 'a'dmit, 'r'elease, 'f'ailure or 's'uccess, rate per second, concurrency cap, lease end,
// member).
// Releases run first, then failures and successes in the order they were made (a success after a failure closes the
// breaker; one before it does not undo it), then admissions: the slots released serve the admissions of the same
// call, and a failure that opens the breaker refuses them (all report on attempts that already ended).
// A script is not rolled back when it fails: each operation runs on its own (pcall) and a failed one answers its own
// error, so the others' slots are never taken by a call whose caller was told it failed. An admission is idempotent
// per member (a live lease answers ok; the probe its member holds is not refused): a call sent again after a lost reply
// (ioredis' resend, or the one-by-one fallback) takes no second slot, nor a second place in the rate window. So is a
// failure: its member is remembered for a lease (probe lease, ARGV[3]), and sent again it answers without counting.
// Only an endpoint's newest 1,000 failures are remembered (FAILURES_REMEMBERED), so a dead endpoint's backlog failing for
// the whole lease holds no unbounded set: a failure is sent again within a reconnect, long before a thousand more of
// its endpoint end, and one sent again later is counted twice, which only opens the breaker one failure early.
// A success is not remembered: a call holding a success then a failure of one endpoint, sent again, clears the breaker
// again and skips the failure as counted, so that failure is lost and the breaker opens one failure late.
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
local trimmed = {}
local function fail(i)
  local breaker, counted, probe, member = KEYS[i * 4 + 1], KEYS[i * 4 + 2], KEYS[i * 4 + 4], ARGV[5 + i * 5 + 4]
  local remember = tonumber(ARGV[3])
  -- The breaker read and the set trimmed before anything is recorded: a key of another type fails the operation here
  -- (a failure remembered, then refused by HINCRBY, would answer "counted" when sent again). Of the writes, Redis can
  -- refuse only a script's first one that may grow memory (OOM; once a script wrote, it is not stopped midway): here
  -- the ZADD, and then nothing is recorded either.
  local failures = tonumber(call('HGET', breaker, 'failures') or '0')
  if not trimmed[counted] then
    call('ZREMRANGEBYSCORE', counted, '-inf', now - remember)
    trimmed[counted] = true
  end
  -- Counted already (the same failure sent again): answered with the count as it stands, not counted twice.
  if call('ZADD', counted, 'NX', now, member) == 0 then return {0, 'failed', failures} end
  call('ZREMRANGEBYRANK', counted, 0, -${FAILURES_REMEMBERED + 1})
  call('PEXPIRE', counted, remember)
  failures = call('HINCRBY', breaker, 'failures', 1)
  -- At the threshold the breaker opens; each failure past it (a half-open probe's) opens it again for a cooldown.
  if failures >= tonumber(ARGV[2]) then call('HSET', breaker, 'openUntil', now + tonumber(ARGV[4])) end
  call('PEXPIRE', breaker, tonumber(ARGV[4]) * 10)
  call('DEL', probe)
  return {0, 'failed', failures}
end
for i = 0, n - 1 do
  local kind = ARGV[5 + i * 5]
  if kind == 'f' then
    local ok, result = pcall(fail, i)
    results[i + 1] = ok and result or {0, 'error', tostring(result)}
  elseif kind == 's' then
    -- A success closes the breaker (and frees the half-open probe).
    local ok, err = pcall(call, 'DEL', KEYS[i * 4 + 1], KEYS[i * 4 + 4])
    results[i + 1] = ok and {0, 'succeeded'} or {0, 'error', tostring(err)}
  end
end
for i = 0, n - 1 do
  if ARGV[5 + i * 5] == 'a' then
    local ok, result = pcall(admit, i)
    results[i + 1] = ok and result or {0, 'error', tostring(result)}
  end
end
return results
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

/**
 * One operation's answer: [wait ms, 'ok' | refusal reason | 'released' | 'failed' | 'succeeded', breaker failures] or
 * [0, 'error', message].
 */
type FlowReply = [number, string, (number | string)?];

/** The scripts above as commands (ioredis sends EVALSHA, and the script itself only once per connection). */
interface FlowCommands {
  webhookFlowBatch(numberOfKeys: number, ...args: (string | number)[]): Promise<FlowReply[]>;
}

/** One admission, release, failure or success waiting for the next batch. */
type FlowOp =
  | { kind: 'a'; endpointId: number; ratePerSecond: number | null; member: string }
  | { kind: 'r' | 'f' | 's'; endpointId: number; member: string };

/** A flow-control key of one endpoint (shared by every worker and read by the API). */
function flowKey(prefix: string, kind: string, endpointId: number): string {
  return `${prefix}:webhook:${kind}:${endpointId}`;
}

/**
 * An endpoint's circuit breaker as the API shows it: `fechado` (deliveries go), `aberto` until `ate` (they wait, each
 * without using an attempt: pending with no new attempt is this, not a stuck delivery), `meio_aberto` (the cooldown
 * ended: the next delivery is a probe whose outcome closes or re-opens it); `falhasSeguidas`, the failures in a row the
 * breaker counts (it opens at WEBHOOK_BREAKER_FAILURES).
 */
export interface CircuitState {
  estado: 'fechado' | 'aberto' | 'meio_aberto';
  aberto: boolean;
  ate: string | null;
  falhasSeguidas: number;
}

/** The breakers of these endpoints now, in their order: one round trip (the ids are the caller's, tenant-checked). */
export async function circuitStates(
  redis: Redis,
  prefix: string,
  endpointIds: readonly number[],
  breakerFailures: number,
  now = Date.now(),
): Promise<CircuitState[]> {
  if (endpointIds.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const id of endpointIds) pipeline.hmget(flowKey(prefix, 'breaker', id), 'openUntil', 'failures');
  const replies = (await pipeline.exec()) ?? [];
  return endpointIds.map((_, i) => {
    const [err, values] = replies[i] ?? [new Error('no reply'), null];
    if (err) throw err;
    const [openUntil, failures] = (values as (string | null)[]).map((v) => Number(v ?? 0)) as [number, number];
    const open = openUntil > now;
    const estado = open ? 'aberto' : failures >= breakerFailures ? 'meio_aberto' : 'fechado';
    return { estado, aberto: open, ate: open ? new Date(openUntil).toISOString() : null, falhasSeguidas: failures };
  });
}

export class EndpointFlowControl {
  private readonly redis: Redis & FlowCommands;
  private readonly batches: Coalescer<FlowOp, FlowReply>;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly options: { breakerFailures: number; breakerCooldownMs: number; endpointConcurrency: number; leaseMs: number },
  ) {
    redis.defineCommand('webhookFlowBatch', { lua: FLOW_BATCH });
    this.redis = redis as Redis & FlowCommands;
    // One call in flight; the operations made meanwhile go together in the next (no timer: one delivery alone waits
    // for nothing). Each operation answers on its own inside the call; only a failed round trip (a lost connection)
    // is retried operation by operation, and an admission or a failure sent again is idempotent.
    this.batches = new Coalescer<FlowOp, FlowReply>({
      name: 'webhook flow control',
      runGroup: (ops) => this.run(ops),
      runOne: async (op) => (await this.run([op]))[0] as FlowReply,
      maxItems: 500,
      maxRunning: 1,
    });
  }

  private key(kind: string, endpointId: number): string {
    return flowKey(this.prefix, kind, endpointId);
  }

  private async run(ops: FlowOp[]): Promise<FlowReply[]> {
    const now = Date.now();
    const keys: string[] = [];
    const args: (string | number)[] = [now, this.options.breakerFailures, this.options.leaseMs, this.options.breakerCooldownMs];
    for (const op of ops) {
      keys.push(
        this.key('breaker', op.endpointId),
        op.kind === 'f' || op.kind === 's' ? this.key('failed', op.endpointId) : this.key(`rate:${Math.floor(now / 1000)}`, op.endpointId),
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

  /**
   * A success closes the breaker; batched with the process's other flow-control operations, so it lands after the
   * failures this process reported before it (a success sent on its own went ahead of them and was undone).
   */
  async succeeded(endpointId: number): Promise<void> {
    const [, reason, message] = await this.batches.add({ kind: 's', endpointId, member: '' });
    if (reason === 'error') throw new FlowControlError(endpointId, String(message));
  }

  /**
   * A failure counts toward opening the breaker (it re-opens at once after its cooldown if failures go on); answers the
   * endpoint's failures in a row now. Batched with the process's other flow-control operations. `member` names the
   * attempt (its admission's): sent again, it counts once.
   */
  async failed(endpointId: number, member: string): Promise<number> {
    const [, reason, failures] = await this.batches.add({ kind: 'f', endpointId, member });
    if (reason === 'error') throw new FlowControlError(endpointId, String(failures));
    return Number(failures);
  }
}
