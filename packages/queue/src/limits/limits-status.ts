import type { Redis } from 'ioredis';
import type { LimitReason } from './limit-delay-error';
import { type LimitScope, limitKeys, parseScope } from './limit-keys';
import { decodeLimit, type ScopeLimit } from './limit-rule';

/** What /metrics and GET /v1/limits show of one scope. */
export interface ScopeStatus {
  scope: LimitScope;
  /** The configured limit; null for a scope seen only in counters (e.g. a connection with no limit). */
  limit: ScopeLimit | null;
  /** Jobs (tenant scopes) or calls (connection scopes) admitted per second, averaged over the last 5 s. */
  currentRate: number;
  admittedTotal: number;
  delayedTotal: Record<LimitReason, number>;
  /** Concurrency slots held now (scopes with a cap). */
  activeNow: number;
}

const RATE_WINDOW_S = 5;

/** Every scope's limit and counters, optionally of one empresa only (the tenant API). */
export async function readLimitStatus(redis: Redis, prefix: string, empresaId?: number): Promise<ScopeStatus[]> {
  const second = Math.floor(Date.now() / 1000);
  const windows = Array.from({ length: RATE_WINDOW_S }, (_, i) => limitKeys.second(prefix, second - 1 - i));
  const [config, stats, ...recent] = await Promise.all([
    redis.hgetall(limitKeys.config(prefix)),
    redis.hgetall(limitKeys.stats(prefix)),
    ...windows.map((key) => redis.hgetall(key)),
  ]);
  const byScope = new Map<string, ScopeStatus>();
  const entry = (name: string): ScopeStatus | undefined => {
    const scope = parseScope(name);
    if (!scope || (empresaId !== undefined && scope.empresaId !== empresaId)) return undefined;
    let status = byScope.get(name);
    if (!status) {
      status = {
        scope,
        limit: null,
        currentRate: 0,
        admittedTotal: 0,
        delayedTotal: { rate: 0, concurrency: 0, 'retry-after': 0 },
        activeNow: 0,
      };
      byScope.set(name, status);
    }
    return status;
  };
  for (const [name, value] of Object.entries(config)) {
    const status = entry(name);
    if (status) status.limit = decodeLimit(value) ?? null;
  }
  for (const [field, value] of Object.entries(stats)) {
    const parts = field.split('|');
    const status = entry(parts[parts.length - 1] ?? '');
    if (!status) continue;
    if (parts[0] === 'admitted') status.admittedTotal = Number(value);
    else if (parts[0] === 'delayed' && parts[1] && parts[1] in status.delayedTotal)
      status.delayedTotal[parts[1] as LimitReason] = Number(value);
  }
  for (const window of recent) {
    for (const [name, value] of Object.entries(window)) {
      const status = entry(name);
      if (status) status.currentRate += Number(value) / RATE_WINDOW_S;
    }
  }
  const capped = [...byScope.entries()].filter(([, s]) => (s.limit?.concurrency ?? 0) > 0);
  const now = Date.now();
  const active = await Promise.all(capped.map(([name]) => redis.zcount(limitKeys.active(prefix, name), now, '+inf')));
  capped.forEach(([, status], i) => {
    status.activeNow = active[i] ?? 0;
  });
  return [...byScope.values()];
}

/**
 * A rate-delayed job whose reserved time is this far past still counts as waiting (due, not yet taken again by a
 * worker). Its reservation is removed when it is admitted; one of a job removed while delayed ages out.
 */
const WAITING_GRACE_MS = 1_000;

/** Jobs of an empresa waiting now because of its limits: for a rate slot (reserved) and for a concurrency slot. */
export interface DelayedNow {
  rate: number;
  concurrency: number;
}

/**
 * How many of the empresa's jobs wait now for a limit: rate reservations whose time is ahead (or only just past), and
 * concurrency-slot waits until the job is admitted — however long a due job waits for a worker to take it. The take
 * script removes a slot wait on admission (or when the returning job is delayed by the rate instead); a due entry is
 * counted only while its job exists, unfinished and not taken by a worker since the entry's time (a job removed while
 * delayed, or admitted after its tenant's limits were removed, leaves one behind — not counted, also while it runs).
 */
export async function readDelayedNow(redis: Redis, prefix: string, empresaId: number): Promise<DelayedNow> {
  const now = Date.now();
  const slotWaits = limitKeys.slotWaits(prefix, empresaId);
  const [rate, ahead, due] = await Promise.all([
    redis.zcount(limitKeys.reservations(prefix, empresaId), now - WAITING_GRACE_MS, '+inf'),
    redis.zcount(slotWaits, now, '+inf'),
    redis.zrangebyscore(slotWaits, '-inf', `(${now}`, 'WITHSCORES'),
  ]);
  return { rate, concurrency: ahead + (await unfinishedJobs(redis, prefix, due)) };
}

/**
 * How many of the due slot waits (ZRANGEBYSCORE … WITHSCORES: member "queue|jobId", then its time) name a job that still
 * exists, has not finished and has not been taken by a worker since that time.
 */
async function unfinishedJobs(redis: Redis, prefix: string, withScores: string[]): Promise<number> {
  if (!withScores.length) return 0;
  const pipeline = redis.pipeline();
  const times: number[] = [];
  for (let i = 0; i < withScores.length; i += 2) {
    const member = withScores[i] as string;
    const bar = member.indexOf('|');
    times.push(Number(withScores[i + 1]));
    // BullMQ's job hash: `timestamp` is set when the job is added, `finishedOn` when it completes or fails, and
    // `processedOn` each time a worker takes it — kept through a delay, so only a later one means "taken since".
    pipeline.hmget(`${prefix}:${member.slice(0, bar)}:${member.slice(bar + 1)}`, 'timestamp', 'finishedOn', 'processedOn');
  }
  const replies = (await pipeline.exec()) ?? [];
  return replies.filter(([err, fields], i) => {
    const [timestamp, finishedOn, processedOn] = (fields ?? []) as (string | null)[];
    const takenSince = processedOn != null && Number(processedOn) >= (times[i] ?? 0);
    return !err && timestamp != null && finishedOn == null && !takenSince;
  }).length;
}
