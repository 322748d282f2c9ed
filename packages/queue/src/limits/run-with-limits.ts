import type { TenantRef } from '@integrador/jobs';
import type { Job } from 'bullmq';
import { LimitDelayError } from './limit-delay-error';
import { LimitWaitError } from './limit-wait';
import type { JobLimits, Lease, TenantLimiter } from './tenant-limiter';

/** ctx.limits when the worker runs without a limiter (tests, tools): every call is allowed. */
export const NO_LIMITS: JobLimits = {
  acquire: async () => undefined,
  retryAfter: async ({ connection, ms }) => new LimitDelayError(Date.now() + ms, 'retry-after', connection),
};

/**
 * Runs one job under its tenant's limits: admission (rate, concurrency) before the handler, ctx.limits for
 * its outbound calls, and any LimitDelayError turned into moveToDelayed + DelayedError (LimitWaitError) — the job waits
 * in BullMQ's delayed set and its attemptsMade does not move.
 */
export async function runWithLimits(
  limiter: TenantLimiter | undefined,
  queue: string,
  job: Job,
  token: string | undefined,
  tenant: TenantRef | undefined,
  run: (limits: JobLimits) => Promise<unknown>,
): Promise<unknown> {
  if (!limiter || !tenant) return run(NO_LIMITS);
  let lease: Lease | undefined;
  try {
    lease = await limiter.admit(queue, job, tenant);
    return await run(limiter.forJob(queue, job, tenant));
  } catch (err) {
    if (!(err instanceof LimitDelayError)) throw err;
    await job.moveToDelayed(err.until, token);
    // Why it waits goes with the error into the job's record (LIMIT_WAIT), for run --wait to say.
    throw new LimitWaitError(err);
  } finally {
    if (lease) limiter.release(lease);
  }
}
