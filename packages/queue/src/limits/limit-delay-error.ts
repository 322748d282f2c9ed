/**
 * Thrown by `ctx.limits.acquire()` (and by the admission check) when a limit says "not yet": the worker runner
 * turns it into moveToDelayed(until) + DelayedError, so the job waits without using an attempt.
 */
export class LimitDelayError extends Error {
  override name = 'LimitDelayError';

  constructor(
    /** When the job may run again (epoch ms). */
    readonly until: number,
    /** rate, concurrency or retry-after. */
    readonly reason: LimitReason,
    /** The scope that said no. */
    readonly scope: string,
  ) {
    super(`limit ${reason} of ${scope}: delayed until ${new Date(until).toISOString()}`);
  }
}

export type LimitReason = 'rate' | 'concurrency' | 'retry-after';
