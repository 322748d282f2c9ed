import { isQueueName, jobDefinition } from '@integrador/jobs';
import type { Job } from 'bullmq';
import { ErrorCode } from 'bullmq';
import type { Redis } from 'ioredis';
import { countOperatorRetry } from '../operator-retries';
import { withRedisDeadline } from '../redis';
import { dropBlocked } from './blocked-index';

/**
 * What a retry request found: the job was failed and runs again, or it was in another state and was left alone, or its
 * kind takes no operator retry (`notRetryable`: the catalogue's noOperatorRetry, e.g. a click-to-call, or the caller's
 * RetryRefusal, e.g. a webhook delivery delivered since).
 */
export type RetryOutcome = { retried: true } | { retried: false; state: string; notRetryable?: string };

/**
 * Why this failed job should not run again although its kind takes retries (its work was done since by other means):
 * a code the callers word, or undefined to retry it. Asked only of a failed job.
 */
export type RetryRefusal = (job: Job) => Promise<string | undefined>;

/**
 * Retries a failed job from its first attempt (the API's, CLI's and dashboard's one retry rule); a dependency flow
 * blocked by it resumes (if it fails again, the worker records it as blocking again). Other states are left alone.
 * The retry is counted in the job's data (operator-retries.ts): only a run under a count higher than the one a SET record
 * was held back under releases it (packages/integrador set/held-records.ts); BullMQ's own retries, a stalled job's
 * re-run and a delay (paused tenant, limits) keep the count.
 */
export async function retryFailedJob(
  job: Job,
  redis: Redis,
  prefix: string,
  deadlineMs = 2000,
  refusal?: RetryRefusal,
): Promise<RetryOutcome> {
  const state = await withRedisDeadline(job.getState(), deadlineMs, 'read job state');
  if (state !== 'failed') return { retried: false, state };
  const notRetryable =
    (isQueueName(job.queueName) ? jobDefinition(job.queueName, job.name)?.noOperatorRetry : undefined) ?? (await refusal?.(job));
  if (notRetryable) return { retried: false, state, notRetryable };
  try {
    await withRedisDeadline(countOperatorRetry(job), deadlineMs, 'count retry');
    await withRedisDeadline(job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true }), deadlineMs, 'retry job');
  } catch (err) {
    // Another request retried (or removed) it between the read and the retry (a double click): BullMQ's script refuses
    // the second one. That is the job's new state, not a failure of this request. Anything else — Redis too slow for
    // the deadline (the retry may still land), full, or gone — is this request's failure, and said so.
    if (!isBullmqRefusal(err)) throw err;
    const now = await withRedisDeadline(job.getState(), deadlineMs, 'read job state');
    if (now !== 'failed') return { retried: false, state: now };
    throw err;
  }
  await withRedisDeadline(dropBlocked(redis, prefix, job.queueName, String(job.id)), deadlineMs, 'update blocked flows');
  return { retried: true };
}

/** BullMQ's refusal of a retry: its reprocess script found the job no longer failed, or gone (a numeric `code`). */
function isBullmqRefusal(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === ErrorCode.JobNotInState || code === ErrorCode.JobNotExist;
}
