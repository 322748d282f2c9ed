import type { TenantRef } from '@integrador/jobs';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { type BlockedEntry, type DependentRef, dropBlocked, recordBlocked } from './blocked-index';
import { isFlowBlockedError } from './flow-blocked-error';
import { flowStepOf } from './flow-gate';
import { parseJobKey } from './job-keys';

/** Chains are short (a handful of integrations); the bound only stops a corrupt parent link from looping. */
const MAX_DEPTH = 100;

/** The jobs waiting (transitively) on `job`, nearest first, read from the parentKey links. */
export async function dependentsOf(redis: Redis, prefix: string, job: Pick<Job, 'parentKey'>): Promise<DependentRef[]> {
  const dependents: DependentRef[] = [];
  let key = job.parentKey;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    if (!key) break;
    const ref = parseJobKey(prefix, key);
    const [parentKey, data] = await redis.hmget(key, 'parentKey', 'data');
    if (!ref || !data) break;
    const integracaoId = (JSON.parse(data) as { integracaoId?: unknown }).integracaoId;
    dependents.push({ ...ref, integracaoId: typeof integracaoId === 'number' ? integracaoId : null });
    key = parentKey || undefined;
  }
  return dependents;
}

/**
 * A flow step failed for good. Its dependents stay waiting (retrying it resumes them): they are recorded as blocked
 * by it, with its reason. When the step itself failed because the flow ended below it (FlowBlockedError), its
 * dependents are released at once to end the same way, so a whole chain ends together.
 */
export async function handleFlowFailure(
  redis: Redis,
  prefix: string,
  queue: string,
  job: Job,
  reason: string,
  err: unknown,
): Promise<void> {
  if (!job.parentKey || !job.id) return;
  const dependents = await dependentsOf(redis, prefix, job);
  if (dependents.length === 0) return;
  const tenant = (job.data as { tenant?: TenantRef }).tenant;
  const integracaoId = (job.data as { integracaoId?: unknown }).integracaoId;
  const entry: BlockedEntry = {
    empresaId: tenant?.empresaId ?? 0,
    filialId: tenant?.filialId ?? null,
    queue,
    jobId: job.id,
    integracaoId: typeof integracaoId === 'number' ? integracaoId : null,
    reason,
    failedAt: job.finishedOn ?? Date.now(),
    dependents,
  };
  if (!isFlowBlockedError(err)) return recordBlocked(redis, prefix, entry);
  await recordBlocked(redis, prefix, { ...entry, released: 'cascade' });
  await job.removeChildDependency();
}

/** A flow step completed (first time or after a retry): it blocks nothing any more. */
export async function handleFlowCompletion(redis: Redis, prefix: string, queue: string, job: Job): Promise<void> {
  if (flowStepOf(job) && job.id) await dropBlocked(redis, prefix, queue, job.id);
}
