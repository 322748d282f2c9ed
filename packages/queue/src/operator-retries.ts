import type { Job } from 'bullmq';

// How many times an operator retried a job (retryFailedJob) travels beside its payload (job.data.operatorRetries), as
// the request id does: BullMQ's started attempts count every start, also a delay that used no attempt (a paused tenant,
// a rate or concurrency limit, a Retry-After wait), so they cannot tell an operator's retry from a re-run.

const FIELD = 'operatorRetries';

/** The operator's retries of a job so far (0 when never retried), read from its data. */
export function operatorRetriesOf(data: unknown): number {
  const value = data !== null && typeof data === 'object' ? (data as Record<string, unknown>)[FIELD] : undefined;
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : 0;
}

/** Job data without the retry count: the payload schemas stay closed. */
export function withoutOperatorRetries(data: unknown): unknown {
  if (data === null || typeof data !== 'object' || !(FIELD in data)) return data;
  const { [FIELD]: _count, ...payload } = data as Record<string, unknown>;
  return payload;
}

/** Counts one more operator's retry in the job's data (before the retry itself, so its next run reads it). */
export function countOperatorRetry(job: Job): Promise<void> {
  return job.updateData({ ...(job.data as object), [FIELD]: operatorRetriesOf(job.data) + 1 });
}
