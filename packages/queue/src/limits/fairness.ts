import type { TenantRef } from '@integrador/jobs';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { limitKeys } from './limit-keys';

/** BullMQ's highest allowed priority number (lowest precedence). */
export const MAX_PRIORITY = 2 ** 21 - 1;

/**
 * Fairness without a dispatcher: a job's BullMQ priority is its tenant's count of pending jobs on the queue,
 * so the n-th pending job of every tenant runs before any tenant's (n+1)-th. A tenant with one job waiting
 * is served right after the head of a 100k burst. The counter lives in Redis (one HINCRBY), so this holds
 * across producers, workers and restarts. Jobs with a caller-chosen jobId may be duplicates BullMQ does not
 * add, so they take the current count without adding to it.
 */
export async function fairPriority(redis: Redis, prefix: string, queue: string, tenant: TenantRef, counted: boolean): Promise<number> {
  const key = limitKeys.fairness(prefix, queue);
  const field = String(tenant.empresaId);
  const pending = counted ? await redis.hincrby(key, field, 1) : Number((await redis.hget(key, field)) ?? '0');
  return Math.min(Math.max(pending, 1), MAX_PRIORITY);
}

/** True when the job was counted by fairPriority: prioritized and given a BullMQ-generated (numeric) id. */
export function countedForFairness(job: Job): boolean {
  return (job.opts.priority ?? 0) > 0 && /^\d+$/.test(String(job.id));
}

/** A counted job ended (completed, or failed with no attempts left): its tenant has one pending job fewer. */
export async function fairJobEnded(redis: Redis, prefix: string, queue: string, job: Job): Promise<void> {
  const empresaId = (job.data as { tenant?: TenantRef } | undefined)?.tenant?.empresaId;
  if (typeof empresaId !== 'number' || !countedForFairness(job)) return;
  await redis.hincrby(limitKeys.fairness(prefix, queue), String(empresaId), -1);
}
