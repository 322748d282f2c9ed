import { QUEUE_NAMES, type QueueName, type TenantRef } from '@integrador/jobs';
import type { Redis } from 'ioredis';
import { statsKey } from './keys';

export type JobOutcome = 'completed' | 'failed';

const OUTCOMES: readonly JobOutcome[] = ['completed', 'failed'];

/** The label of the tenants counted together, beyond the busiest ones. */
export const OTHER_TENANTS = 'outros';

/** One counter: jobs of one tenant (or of every tenant beyond the busiest, "outros") that ended with one outcome on one queue. */
export interface TenantJobCount {
  queue: QueueName;
  empresaId: number | typeof OTHER_TENANTS;
  outcome: JobOutcome;
  count: number;
}

/** Per queue and outcome: a sorted set of counts by empresa_id, so the busiest are read without reading them all. */
function rankingKey(prefix: string, queue: QueueName, outcome: JobOutcome): string {
  return `${statsKey(prefix, queue)}:${outcome}`;
}

/** Per queue: the totals by outcome (every tenant), from which "outros" is what the busiest leave. */
function totalsKey(prefix: string, queue: QueueName): string {
  return `${statsKey(prefix, queue)}:total`;
}

/**
 * Counts a finished job for its tenant. BullMQ's own metrics are per queue only; per-tenant counters live in Redis
 * (a sorted set per queue and outcome, plus the totals) so any ingress replica exports the same numbers.
 */
export async function recordOutcome(redis: Redis, prefix: string, queue: QueueName, tenant: TenantRef, outcome: JobOutcome): Promise<void> {
  await recordOutcomes(redis, prefix, [{ queue, empresaId: tenant.empresaId, outcome, count: 1 }]);
}

/** Adds several counts at once: one MULTI, so a reader never sees a ranking without its total. */
export async function recordOutcomes(redis: Redis, prefix: string, counts: readonly TenantJobCount[]): Promise<void> {
  if (!counts.length) return;
  const multi = redis.multi();
  const totals = new Map<string, number>();
  for (const { queue, empresaId, outcome, count } of counts) {
    multi.zincrby(rankingKey(prefix, queue, outcome), count, String(empresaId));
    const total = `${queue}|${outcome}`;
    totals.set(total, (totals.get(total) ?? 0) + count);
  }
  for (const [total, count] of totals) {
    const [queue, outcome] = total.split('|') as [QueueName, JobOutcome];
    multi.hincrby(totalsKey(prefix, queue), outcome, count);
  }
  await multi.exec();
}

/** How long a worker gathers finished jobs' counts before writing them. */
export const OUTCOME_FLUSH_MS = 100;

/**
 * A worker's per-tenant counts, gathered for OUTCOME_FLUSH_MS and written in one MULTI: a busy worker pays a fraction
 * of a command per job instead of four. The counters are metrics: a process killed with counts not yet written loses
 * at most that window's.
 */
export class OutcomeCounter {
  private pending = new Map<string, TenantJobCount>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly onError: (err: unknown) => void,
    private readonly flushMs = OUTCOME_FLUSH_MS,
  ) {}

  /** Counts one finished job of the tenant. */
  count(queue: QueueName, tenant: TenantRef, outcome: JobOutcome): void {
    const key = `${queue}|${tenant.empresaId}|${outcome}`;
    const known = this.pending.get(key);
    if (known) known.count += 1;
    else this.pending.set(key, { queue, empresaId: tenant.empresaId, outcome, count: 1 });
    this.timer ??= setTimeout(() => void this.flush(), this.flushMs);
  }

  /** Writes what was gathered (also at close); a failed write is reported and its counts dropped. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending.size) return this.writing;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.writing = this.writing.then(() => recordOutcomes(this.redis, this.prefix, batch)).catch(this.onError);
    return this.writing;
  }
}

/**
 * Reads the counters of the `top` busiest tenants per queue and outcome, and one "outros" count for all the others
 * (present when not 0): at most (top + 1) × queues × outcomes series, read in one round trip whatever the number of
 * tenants. A tenant that becomes one of the busiest takes its count out of "outros", which Prometheus reads as a counter
 * reset of that series. `queues` narrows the read (a poller of one queue's counts sends 3 commands instead of 12).
 */
export async function readTenantStats(
  redis: Redis,
  prefix: string,
  top: number,
  queues: readonly QueueName[] = QUEUE_NAMES,
): Promise<TenantJobCount[]> {
  const pipeline = redis.pipeline();
  for (const queue of queues) {
    pipeline.hgetall(totalsKey(prefix, queue));
    for (const outcome of OUTCOMES) {
      if (top > 0) pipeline.zrevrange(rankingKey(prefix, queue, outcome), 0, top - 1, 'WITHSCORES');
    }
  }
  const replies = (await pipeline.exec()) ?? [];
  const counts: TenantJobCount[] = [];
  let next = 0;
  const reply = () => {
    const [err, value] = replies[next++] ?? [null, null];
    if (err) throw err;
    return value;
  };
  for (const queue of queues) {
    const totals = (reply() ?? {}) as Record<string, string>;
    for (const outcome of OUTCOMES) {
      const ranked = top > 0 ? ((reply() ?? []) as string[]) : [];
      let listed = 0;
      for (let i = 0; i + 1 < ranked.length; i += 2) {
        const count = Number(ranked[i + 1]);
        listed += count;
        counts.push({ queue, empresaId: Number(ranked[i]), outcome, count });
      }
      const others = Number(totals[outcome] ?? 0) - listed;
      if (others > 0) counts.push({ queue, empresaId: OTHER_TENANTS, outcome, count: others });
    }
  }
  return counts;
}
