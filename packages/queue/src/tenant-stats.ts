import { QUEUE_NAMES, type QueueName, type TenantRef } from '@integrador/jobs';
import type { Redis } from 'ioredis';
import { statsKey } from './keys';

export type JobOutcome = 'completed' | 'failed';

/** One counter: jobs of one tenant that ended with one outcome on one queue. */
export interface TenantJobCount {
  queue: QueueName;
  empresaId: number;
  outcome: JobOutcome;
  count: number;
}

/**
 * Counts a finished job for its tenant. BullMQ's own metrics are per queue only; per-tenant counters
 * live in one hash per queue (field "<outcome>:<empresaId>") so any ingress replica can export them.
 */
export async function recordOutcome(redis: Redis, prefix: string, queue: QueueName, tenant: TenantRef, outcome: JobOutcome): Promise<void> {
  await redis.hincrby(statsKey(prefix, queue), `${outcome}:${tenant.empresaId}`, 1);
}

/** Reads every per-tenant counter of every queue. */
export async function readTenantStats(redis: Redis, prefix: string): Promise<TenantJobCount[]> {
  const counts: TenantJobCount[] = [];
  const replies = await Promise.all(QUEUE_NAMES.map((queue) => redis.hgetall(statsKey(prefix, queue))));
  QUEUE_NAMES.forEach((queue, i) => {
    for (const [field, value] of Object.entries(replies[i] ?? {})) {
      const [outcome, empresa] = field.split(':');
      if ((outcome === 'completed' || outcome === 'failed') && empresa) {
        counts.push({ queue, empresaId: Number(empresa), outcome, count: Number(value) });
      }
    }
  });
  return counts;
}
