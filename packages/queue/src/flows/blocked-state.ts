import type { Job } from 'bullmq';
import { parseJobKey } from './job-keys';

/** The failed prerequisite a waiting flow step is (transitively) blocked by. */
export interface BlockingFailure {
  queue: string;
  jobId: string;
  integracaoId: number | null;
  failedReason: string;
  failedAt: string | null;
}

/** Chains are short; the bound only protects the API from a corrupt parent link. */
const MAX_DEPTH = 100;

/**
 * Walks down a waiting-children job's pending children: the first one that failed is what blocks it (a child that
 * is itself waiting is followed). Undefined while its prerequisites are still waiting or running normally.
 */
export async function findBlockingFailure(
  job: Job,
  prefix: string,
  getJob: (queue: string, id: string) => Promise<Job | undefined>,
  depth = 0,
): Promise<BlockingFailure | undefined> {
  if (depth > MAX_DEPTH) return undefined;
  const { unprocessed = [] } = await job.getDependencies({ unprocessed: { count: 50 } });
  for (const key of unprocessed) {
    const ref = parseJobKey(prefix, key);
    const child = ref ? await getJob(ref.queue, ref.jobId) : undefined;
    if (!ref || !child) continue;
    const state = await child.getState();
    if (state === 'failed') {
      const integracaoId = (child.data as { integracaoId?: unknown }).integracaoId;
      return {
        queue: ref.queue,
        jobId: ref.jobId,
        integracaoId: typeof integracaoId === 'number' ? integracaoId : null,
        failedReason: child.failedReason ?? '',
        failedAt: child.finishedOn ? new Date(child.finishedOn).toISOString() : null,
      };
    }
    if (state === 'waiting-children') {
      const below = await findBlockingFailure(child, prefix, getJob, depth + 1);
      if (below) return below;
    }
  }
  return undefined;
}
