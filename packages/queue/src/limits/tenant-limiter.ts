import { randomUUID } from 'node:crypto';
import type { TenantRef } from '@integrador/jobs';
import type { Logger } from '@integrador/logging';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { redisErrors } from '../redis-error-log';
import { LimitDelayError, type LimitReason } from './limit-delay-error';
import { limitKeys, tenantScopes } from './limit-keys';
import type { ScopeLimit } from './limit-rule';
import { COOLDOWN_SCRIPT, TAKE_SCRIPT } from './limiter-scripts';
import { LimitsConfigCache } from './limits-mirror';

/** What a handler may ask of the limits layer (ctx.limits). */
export interface JobLimits {
  /** Takes a token of (tenant, connection) before an outbound call; throws LimitDelayError when the call must wait. */
  acquire(options: { connection: string }): Promise<void>;
  /**
   * A target answered 429 / Retry-After: pauses (tenant, connection) for `ms` and returns the error to throw; undefined
   * once the job has been delayed this way too often (MAX_FREE_DELAYS), so a target that never recovers uses attempts.
   */
  retryAfter(options: { connection: string; ms: number }): Promise<LimitDelayError | undefined>;
}

/** One concurrency slot: a member of a scope's leases zset. */
interface Slot {
  key: string;
  member: string;
  /** Given back to this process's pool when the job ends (batched scopes), instead of to Redis at once. */
  pooled: boolean;
}

/** Concurrency slots a job holds while it runs. */
export interface Lease {
  /** The leases zsets it holds a slot of, one per capped scope. */
  keys: string[];
  slots: Slot[];
}

export interface TenantLimiterOptions {
  /** A worker-role connection. */
  redis: Redis;
  prefix: string;
  logger: Logger;
  /** How long a concurrency slot outlives its last renewal (a crashed worker's slot frees itself after this). */
  leaseMs: number;
  /** How often the config mirror is polled and counters flushed. */
  pollMs?: number;
}

type TakeReply = number[];
interface LimitCommands {
  integradorLimitsTake(...args: (string | number)[]): Promise<TakeReply>;
  integradorLimitsCooldown(...args: (string | number)[]): Promise<number>;
}

const REASONS: Record<number, LimitReason> = { 1: 'rate', 2: 'concurrency', 3: 'retry-after' };
const NO_LIMIT: ScopeLimit = { rate: 0, burst: 1, concurrency: 0 };
/** Retry-After is honoured between these bounds: a zero would spin, a date next year would park the job for good. */
const RETRY_AFTER_MIN_MS = 250;
const RETRY_AFTER_MAX_MS = 3600_000;
/** How long tokens taken ahead stay usable: unused ones are lost (never exceeding the limit), so keep it short. */
const TOKEN_POOL_MS = 50;
/** Most tokens one call takes ahead. */
const TOKEN_BATCH_MAX = 100;

/** Tokens a process takes per call: what the rate grants in TOKEN_POOL_MS (1 for slow limits, so they stay exact). */
function tokensWanted(rate: number): number {
  return rate > 0 ? Math.max(1, Math.min(TOKEN_BATCH_MAX, Math.floor((rate * TOKEN_POOL_MS) / 1000))) : 1;
}

/** How long finished jobs' slot releases are gathered into one ZREM per scope. */
const RELEASE_BATCH_MS = 5;
/** Most concurrency slots one call takes ahead. */
const SLOT_BATCH_MAX = 32;
/** How long a slot a finished job gave back waits in this process for the next job before it goes back to Redis. */
const SLOT_IDLE_MS = 250;

/**
 * Slots a process takes per call: a tenth of the cap, at most SLOT_BATCH_MAX, and 1 for caps under 20 — those stay
 * exactly as shared between processes as before (a slot goes back to Redis as its job ends). A slot held ahead is
 * still counted in Redis, so the cap is never exceeded; the trade is that another process may wait up to
 * SLOT_IDLE_MS longer for a slot this one holds idle.
 */
function slotsWanted(cap: number): number {
  return cap >= 20 ? Math.min(SLOT_BATCH_MAX, Math.floor(cap / 10)) : 1;
}
/**
 * How long a slot-wait entry is kept past its time. An admitted job's entry leaves at once (the take script); one of a
 * job removed while delayed, or admitted once its tenant had no limit left, stays until then (GET /v1/limits does not
 * count it: readDelayedNow looks the job up — gone, finished, or taken by a worker since the entry's time).
 */
const SLOT_WAIT_KEEP_MS = 3600_000;
/** Delays a job may take without using an attempt before a Retry-After counts as an ordinary transient failure. */
export const MAX_FREE_DELAYS = 100;

/**
 * Per-tenant (and per tenant+connection) rate limits and concurrency caps, shared by every worker process
 * through Redis. The limits themselves are read from a local copy of the Redis mirror, so a tenant without
 * limits costs no Redis command at all.
 */
export class TenantLimiter {
  readonly config: LimitsConfigCache;
  private readonly redis: Redis & LimitCommands;
  private readonly leases = new Set<Lease>();
  private readonly counters = new Map<string, number>();
  private readonly perSecond = new Map<string, number>();
  private timers: NodeJS.Timeout[] = [];
  private releases = new Map<string, string[]>();
  /** Rate tokens taken ahead from Redis, handed out locally until they expire. */
  private readonly pools = new Map<string, { tokens: number; expires: number }>();
  private readonly fetching = new Map<string, Promise<unknown>>();
  private releaseTimer: NodeJS.Timeout | undefined;
  /** Concurrency slots this process holds and no job uses (batched scopes), per leases key, oldest first. */
  private readonly freeSlots = new Map<string, { member: string; since: number }[]>();
  private idleTimer: NodeJS.Timeout | undefined;
  /** Makes slot members unique per process and call. */
  private readonly slotPrefix = `${randomUUID().slice(0, 8)}:`;
  private slotCalls = 0;

  constructor(private readonly options: TenantLimiterOptions) {
    options.redis.defineCommand('integradorLimitsTake', { lua: TAKE_SCRIPT });
    options.redis.defineCommand('integradorLimitsCooldown', { lua: COOLDOWN_SCRIPT, numberOfKeys: 2 });
    this.redis = options.redis as Redis & LimitCommands;
    this.config = new LimitsConfigCache(options.redis, options.prefix);
  }

  /** Loads the limits once, then keeps them fresh, flushes counters and renews leases in the background. */
  async start(): Promise<void> {
    await this.config.refresh();
    const poll = this.options.pollMs ?? 1000;
    // Rate-limited as the connection's own errors are: a down Redis fails these every poll.
    const warn = (what: string) => (err: unknown) => redisErrors.report(this.options.logger, err as Error, {}, what);
    this.timers.push(
      setInterval(() => {
        this.config.refresh().catch(warn('limits: config reload failed'));
        this.flush().catch(warn('limits: counters flush failed'));
      }, poll),
      setInterval(() => this.renewLeases().catch(warn('limits: lease renewal failed')), Math.max(100, this.options.leaseMs / 3)),
    );
    for (const timer of this.timers) timer.unref();
  }

  /** Stops the timers and writes the last counters. */
  async close(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    this.returnIdleSlots(Number.POSITIVE_INFINITY);
    await this.flushReleases().catch(() => undefined);
    await this.flush().catch(() => undefined);
  }

  /**
   * May the job start now under its tenant's limits? Returns the concurrency lease to release when it ends
   * (undefined when none was taken); throws LimitDelayError when it must wait.
   */
  async admit(queue: string, job: Job, tenant: TenantRef): Promise<Lease | undefined> {
    const scopes = tenantScopes(tenant).flatMap((scope) => {
      const limit = this.config.get(scope);
      return limit ? [{ scope, limit }] : [];
    });
    if (!scopes.length) return undefined;
    const member = `${queue}|${job.id}`;
    // Cooldowns are set on connection scopes only, so a tenant scope without a rate skips its tat (-1).
    const checked = scopes.map(({ scope, limit }) => ({ scope, limit: limit.rate > 0 ? limit : { ...limit, rate: -1 } }));
    let lease: Lease | undefined;
    try {
      lease = await this.take(tenant, checked, `t|${member}`, restarted(job), concurrencyRetryMs(job), member);
    } catch (err) {
      if (err instanceof LimitDelayError && err.reason === 'concurrency') await this.noteSlotWait(tenant, member, err.until);
      throw err;
    }
    if (!lease) return undefined;
    this.leases.add(lease);
    return lease;
  }

  /**
   * Lists a job refused a concurrency slot until it is admitted, for GET /v1/limits' count: the take script that admits
   * it removes the entry (no command of its own), so a job due but not yet taken by a worker still counts. Best effort:
   * a failed write only makes the readout low for a few seconds, never fails or delays the job.
   */
  private async noteSlotWait(tenant: TenantRef, member: string, until: number): Promise<void> {
    const key = limitKeys.slotWaits(this.options.prefix, tenant.empresaId);
    await this.redis
      .multi()
      .zadd(key, until, member)
      .zremrangebyscore(key, '-inf', Date.now() - SLOT_WAIT_KEEP_MS)
      .exec()
      .catch((err: unknown) => this.options.logger.warn({ reason: (err as Error).message }, 'limits: slot wait note failed'));
  }

  /**
   * Frees a job's concurrency slots. A slot of a batched scope goes back to this process's pool for the next job
   * (returned to Redis after SLOT_IDLE_MS unused); the others are gathered for RELEASE_BATCH_MS and sent as one ZREM
   * per scope with every member, so a busy worker pays a fraction of a command per job.
   */
  release(lease: Lease): void {
    this.leases.delete(lease);
    const now = Date.now();
    for (const slot of lease.slots) {
      if (slot.pooled) this.freeSlotsOf(slot.key).push({ member: slot.member, since: now });
      else this.queueRelease(slot.key, slot.member);
    }
    if (this.freeSlots.size) this.idleTimer ??= setTimeout(() => this.sweepIdleSlots(), SLOT_IDLE_MS);
  }

  private freeSlotsOf(key: string): { member: string; since: number }[] {
    let free = this.freeSlots.get(key);
    if (!free) {
      free = [];
      this.freeSlots.set(key, free);
    }
    return free;
  }

  private queueRelease(key: string, member: string): void {
    let members = this.releases.get(key);
    if (!members) {
      members = [];
      this.releases.set(key, members);
    }
    members.push(member);
    this.releaseTimer ??= setTimeout(() => {
      this.flushReleases().catch((err: unknown) => this.options.logger.warn({ reason: (err as Error).message }, 'limits: release failed'));
    }, RELEASE_BATCH_MS);
  }

  private sweepIdleSlots(): void {
    this.idleTimer = undefined;
    this.returnIdleSlots(SLOT_IDLE_MS);
    if (this.freeSlots.size) this.idleTimer = setTimeout(() => this.sweepIdleSlots(), SLOT_IDLE_MS);
  }

  /** Gives back to Redis the pooled slots unused for at least `idleMs`. */
  private returnIdleSlots(idleMs: number): void {
    const before = Date.now() - idleMs;
    for (const [key, free] of this.freeSlots) {
      // Oldest first: the slots freed earliest are the ones nobody needed.
      let idle = 0;
      while (idle < free.length && (free[idle]?.since ?? 0) <= before) idle += 1;
      for (const { member } of free.splice(0, idle)) this.queueRelease(key, member);
      if (!free.length) this.freeSlots.delete(key);
    }
    if (!this.freeSlots.size) {
      clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
    }
  }

  private async flushReleases(): Promise<void> {
    clearTimeout(this.releaseTimer);
    this.releaseTimer = undefined;
    if (!this.releases.size) return;
    const batch = this.releases;
    this.releases = new Map();
    const pipeline = this.redis.pipeline();
    for (const [key, members] of batch) pipeline.zrem(key, ...members);
    // A failed release is not retried: the lease lapses on its own after leaseMs.
    await pipeline.exec();
  }

  /** The handler's view of the limits for one job run. */
  forJob(queue: string, job: Job, tenant: TenantRef): JobLimits {
    let firstCall = true;
    return {
      acquire: async ({ connection }) => {
        // Connection scopes limit the rate of calls; calls in flight are not capped (no slot is taken).
        const scopes = tenantScopes(tenant, connection).map((scope) => ({
          scope,
          limit: { ...(this.config.get(scope) ?? NO_LIMIT), concurrency: 0 },
        }));
        // Only the first call of a run may hold a reservation made when this job was delayed before.
        const lookup = firstCall && restarted(job);
        firstCall = false;
        if (!lookup && scopes.every(({ scope }) => this.free(scope))) {
          for (const { scope } of scopes) this.count(`admitted|${scope}`, true);
          return;
        }
        await this.take(tenant, scopes, `c|${queue}|${job.id}`, lookup, 0, '');
      },
      retryAfter: async ({ connection, ms }) => {
        const error = await this.retryAfter(tenant, connection, ms);
        return job.attemptsStarted - job.attemptsMade > MAX_FREE_DELAYS ? undefined : error;
      },
    };
  }

  /**
   * True when a call of the scope needs no Redis command: no limit configured and no Retry-After cooldown in force as
   * far as this process knows (its own at once, another process's from the next poll, within pollMs).
   */
  private free(scope: string): boolean {
    return this.config.get(scope) === undefined && this.config.cooldownUntil(scope) <= Date.now();
  }

  /** Pauses (tenant, connection) for ms, on the empresa's scope (every filial shares the target). */
  async retryAfter(tenant: TenantRef, connection: string, ms: number): Promise<LimitDelayError> {
    const [scope] = tenantScopes({ empresaId: tenant.empresaId, filialId: null }, connection) as [string];
    const limit = this.config.get(scope) ?? NO_LIMIT;
    this.pools.delete(scope);
    const now = Date.now();
    const until = now + Math.min(Math.max(ms, RETRY_AFTER_MIN_MS), RETRY_AFTER_MAX_MS);
    const { prefix } = this.options;
    await this.redis.integradorLimitsCooldown(
      limitKeys.tat(prefix, scope),
      limitKeys.cooldowns(prefix),
      now,
      until,
      limit.rate,
      limit.burst,
      scope,
    );
    this.config.noteCooldown(scope, until);
    this.count(`delayed|retry-after|${scope}`);
    this.options.logger.info(
      { empresaId: tenant.empresaId, connection, until: new Date(until).toISOString() },
      'limits: target asked to wait',
    );
    return new LimitDelayError(until, 'retry-after', scope);
  }

  /**
   * Takes what every scope asks for — a rate token, a concurrency slot — from this process's pools where it holds
   * some, and the rest in one script call; returns the slots taken (undefined when none), or throws LimitDelayError.
   * A job delayed before (`lookup`) leaves the slot waits under `slotWaiter` ('' for an outbound call) once admitted.
   */
  private async take(
    tenant: TenantRef,
    scopes: { scope: string; limit: ScopeLimit }[],
    reservation: string,
    lookup: boolean,
    concurrencyRetryMs: number,
    slotWaiter: string,
  ): Promise<Lease | undefined> {
    const { prefix } = this.options;
    // Jobs arriving while this process is already fetching a batch of a scope's tokens or slots wait for that batch
    // instead of each fetching their own (which would waste most of them).
    const fetching = lookup ? [] : scopes.flatMap(({ scope }) => this.fetching.get(scope) ?? []);
    if (fetching.length) await Promise.allSettled(fetching);
    const now = Date.now();
    // Rate tokens and slots this process already holds are used first; a job returning on a reservation uses that
    // reservation for its rate instead.
    const local = lookup ? [] : scopes.filter(({ scope, limit }) => limit.rate > 0 && this.takeLocal(scope, now));
    const slots: Slot[] = [];
    const remote = scopes.map(({ scope, limit }) => {
      const key = limitKeys.active(prefix, scope);
      const wanted = limit.concurrency > 0 ? slotsWanted(limit.concurrency) : 0;
      const pooled = wanted > 1 ? this.freeSlots.get(key)?.pop() : undefined;
      if (pooled) {
        if (!this.freeSlots.get(key)?.length) this.freeSlots.delete(key);
        slots.push({ key, member: pooled.member, pooled: true });
      }
      const rate = local.some((l) => l.scope === scope) ? -1 : limit.rate;
      return { scope, key, wanted, limit: { ...limit, rate, concurrency: pooled ? 0 : limit.concurrency } };
    });
    const admitted = (): Lease | undefined => {
      for (const { scope } of scopes) this.count(`admitted|${scope}`, true);
      return slots.length ? { keys: slots.map((slot) => slot.key), slots } : undefined;
    };
    if (remote.every(({ limit }) => limit.rate < 0 && limit.concurrency === 0)) {
      // Admitted on a pooled slot, without the script: a returning job leaves the slot waits with a command of its own.
      if (lookup && slotWaiter !== '') this.forgetSlotWait(tenant, slotWaiter);
      return admitted();
    }

    const slotPrefix = `${this.slotPrefix}${++this.slotCalls}`;
    const keys = [limitKeys.reservations(prefix, tenant.empresaId)];
    const args: (string | number)[] = [now, reservation, lookup ? '1' : '0', slotPrefix, now + this.options.leaseMs, concurrencyRetryMs];
    for (const { scope, key, wanted, limit } of remote) {
      keys.push(limitKeys.tat(prefix, scope), key);
      args.push(limit.rate, limit.burst, limit.concurrency, tokensWanted(limit.rate), Math.max(1, wanted));
    }
    keys.push(limitKeys.slotWaits(prefix, tenant.empresaId));
    args.push(slotWaiter);
    // The granted tokens and slots are pooled before anyone waiting on this call resumes.
    const call = this.redis.integradorLimitsTake(keys.length, ...keys, ...args).then((answer) => {
      if (answer[0] === 1) {
        remote.forEach(({ scope, key, wanted, limit }, i) => {
          const granted = Number(answer[i + 1] ?? 0);
          if (granted > 1) this.pools.set(scope, { tokens: granted - 1, expires: now + TOKEN_POOL_MS });
          const taken = limit.concurrency > 0 ? Number(answer[remote.length + i + 1] ?? 0) : 0;
          if (taken < 1) return;
          slots.push({ key, member: `${slotPrefix}#1`, pooled: wanted > 1 });
          if (taken > 1) {
            const free = this.freeSlotsOf(key);
            for (let j = 2; j <= taken; j++) free.push({ member: `${slotPrefix}#${j}`, since: now });
          }
        });
      }
      return answer;
    });
    const batched = remote
      .filter(({ limit, wanted }) => (tokensWanted(limit.rate) > 1 && limit.rate > 0) || (wanted > 1 && limit.concurrency > 0))
      .map(({ scope }) => scope);
    for (const scope of batched) this.fetching.set(scope, call);
    let reply: TakeReply;
    try {
      reply = await call;
    } catch (err) {
      this.putBack(local, slots);
      throw err;
    } finally {
      for (const scope of batched) if (this.fetching.get(scope) === call) this.fetching.delete(scope);
    }
    if (slots.some((slot) => this.freeSlots.get(slot.key)?.length))
      this.idleTimer ??= setTimeout(() => this.sweepIdleSlots(), SLOT_IDLE_MS);
    if (reply[0] === 1) return admitted();
    this.putBack(local, slots);
    const [, until, index, reason] = reply;
    const scope = remote[(index ?? 1) - 1]?.scope ?? '';
    const why = REASONS[reason ?? 1] ?? 'rate';
    this.count(`delayed|${why}|${scope}`);
    throw new LimitDelayError(until ?? now, why, scope);
  }

  /** Best effort, like noteSlotWait: a failed removal leaves the job counted until it ends (readDelayedNow). */
  private forgetSlotWait(tenant: TenantRef, member: string): void {
    this.redis
      .zrem(limitKeys.slotWaits(this.options.prefix, tenant.empresaId), member)
      .catch((err: unknown) => this.options.logger.warn({ reason: (err as Error).message }, 'limits: slot wait removal failed'));
  }

  /** A refused call gives the local tokens and pooled slots it took back to their pools. */
  private putBack(local: { scope: string }[], slots: Slot[]): void {
    for (const { scope } of local) {
      const pool = this.pools.get(scope);
      if (pool) pool.tokens += 1;
    }
    const now = Date.now();
    for (const slot of slots) this.freeSlotsOf(slot.key).push({ member: slot.member, since: now });
    if (slots.length) this.idleTimer ??= setTimeout(() => this.sweepIdleSlots(), SLOT_IDLE_MS);
  }

  /** Takes one token of the scope from this process's pool, when it holds an unexpired one. */
  private takeLocal(scope: string, now: number): boolean {
    const pool = this.pools.get(scope);
    if (!pool || pool.expires < now || pool.tokens < 1) return false;
    pool.tokens -= 1;
    return true;
  }

  private count(field: string, perSecond = false): void {
    this.counters.set(field, (this.counters.get(field) ?? 0) + 1);
    if (perSecond) {
      const scope = field.slice(field.indexOf('|') + 1);
      this.perSecond.set(scope, (this.perSecond.get(scope) ?? 0) + 1);
    }
  }

  /** Writes the counters gathered since the last flush: one pipeline a second, however many jobs ran. */
  private async flush(): Promise<void> {
    if (!this.counters.size) return;
    const { prefix } = this.options;
    const second = Math.floor(Date.now() / 1000);
    const pipeline = this.redis.pipeline();
    for (const [field, n] of this.counters) pipeline.hincrby(limitKeys.stats(prefix), field, n);
    for (const [scope, n] of this.perSecond) pipeline.hincrby(limitKeys.second(prefix, second), scope, n);
    if (this.perSecond.size) pipeline.expire(limitKeys.second(prefix, second), 60);
    this.counters.clear();
    this.perSecond.clear();
    await pipeline.exec();
  }

  /** Renews every slot this process holds, in use or pooled: one ZADD XX per scope. */
  private async renewLeases(): Promise<void> {
    const byKey = new Map<string, string[]>();
    const hold = (key: string, member: string) => {
      const members = byKey.get(key);
      if (members) members.push(member);
      else byKey.set(key, [member]);
    };
    for (const lease of this.leases) for (const slot of lease.slots) hold(slot.key, slot.member);
    for (const [key, free] of this.freeSlots) for (const { member } of free) hold(key, member);
    if (!byKey.size) return;
    const expiry = Date.now() + this.options.leaseMs;
    const pipeline = this.redis.pipeline();
    for (const [key, members] of byKey) pipeline.zadd(key, 'XX', ...members.flatMap((member) => [expiry, member]));
    await pipeline.exec();
  }
}

/** True when the job was started before without failing since: it was delayed by a limit (or stalled). */
function restarted(job: Job): boolean {
  return job.attemptsStarted > job.attemptsMade + 1;
}

/** A job refused a concurrency slot backs off 200 ms, doubling per refusal up to 5 s, with jitter against herds. */
function concurrencyRetryMs(job: Job): number {
  const refusals = Math.max(0, job.attemptsStarted - job.attemptsMade - 1);
  return Math.round(Math.min(5000, 200 * 2 ** refusals) * (0.5 + Math.random()));
}
