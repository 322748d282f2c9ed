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
  await redis
    .multi()
    .zincrby(rankingKey(prefix, queue, outcome), 1, String(tenant.empresaId))
    .hincrby(totalsKey(prefix, queue), outcome, 1)
    .exec();
}

/**
 * Reads the counters of the `top` busiest tenants per queue and outcome, and one "outros" count for all the others
 * (present when not 0): at most (top + 1) × queues × outcomes series, read in one round trip whatever the number of
 * tenants. A tenant that becomes one of the busiest takes its count out of "outros", which Prometheus reads as a counter
 * reset of that series.
 */
export async function readTenantStats(redis: Redis, prefix: string, top: number): Promise<TenantJobCount[]> {
  const pipeline = redis.pipeline();
  for (const queue of QUEUE_NAMES) {
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
  for (const queue of QUEUE_NAMES) {
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
