import type { JobProducer } from '@integrador/queue';
import { withoutConnectionsFileDetail } from '@integrador/store';
import type { Job } from 'bullmq';

/** How a failed attempt is worded for the user: its reason (the failure catalogue's) and the next attempt's time. */
interface AttemptWording {
  attemptReason: (failedReason: string) => Promise<string>;
  retryAt: (date: Date) => string;
}

/**
 * Words a job's failed attempt once per attempt, for `run --wait` on any queue (SET, GET, a flow's last step): while
 * the job waits for its next attempt (delayed, after at least one), its failedReason through the failure catalogue and
 * the time of that next attempt; otherwise the job's own failedReason, unworded.
 */
export function attemptReporter(producer: JobProducer, queue: 'set' | 'get', jobId: string, wording: AttemptWording) {
  let last: { key: string; reason: string; retryAt: string | undefined } | undefined;
  return async (
    job: Job,
    state: string,
  ): Promise<{ failedReason: string | undefined; retryAt: string | undefined; failedAttempt: boolean }> => {
    // As the API and the dashboard show it: an old connection failure names only its connection.
    const failedReason = withoutConnectionsFileDetail(job.failedReason);
    if (state !== 'delayed' || job.attemptsMade === 0 || !failedReason) return { failedReason, retryAt: undefined, failedAttempt: false };
    const key = `${job.attemptsMade} ${failedReason}`;
    if (last?.key !== key) {
      const next = await producer.nextRunAt(queue, jobId);
      last = { key, reason: await wording.attemptReason(failedReason), retryAt: next ? wording.retryAt(next) : undefined };
    }
    return { failedReason: last.reason, retryAt: last.retryAt, failedAttempt: true };
  };
}
