import type { Logger } from '@integrador/logging';
import { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { redisErrors } from '../redis-error-log';
import { type BlockedEntry, dropBlocked, readBlocked, recordBlocked } from './blocked-index';
import { jobKey } from './job-keys';

export interface WedgeGuardOptions {
  /** A worker-role connection. */
  redis: Redis;
  prefix: string;
  /** How long dependents may wait on a failed prerequisite for someone to retry it. */
  timeoutMs: number;
  /** How often one of the fleet's workers sweeps (a Redis lock keeps it to one sweep per interval). */
  intervalMs: number;
  logger: Logger;
  now?: () => number;
}

export interface WedgeGuard {
  /** One sweep now; resolves to how many flows it released. */
  sweep(): Promise<number>;
  stop(): Promise<void>;
}

type PrerequisiteState = 'failed' | 'gone' | 'moved';

/**
 * No flow waits forever: a dependent blocked by a failed prerequisite for longer than `timeoutMs` is released to fail
 * with the prerequisite's reason (the prerequisite is detached from it; the dependent's gate then fails it, and the
 * ones above it follow). Entries whose prerequisite was retried, or whose dependents are gone, are forgotten.
 */
export function startWedgeGuard(options: WedgeGuardOptions): WedgeGuard {
  const { redis, prefix, logger } = options;
  const now = options.now ?? Date.now;
  const queues = new Map<string, Queue>();
  const queueOf = (name: string) => {
    let queue = queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: redis, prefix });
      queue.on('error', (err) => redisErrors.report(logger, err, { queue: name }, 'wedge guard queue error'));
      queues.set(name, queue);
    }
    return queue;
  };

  const stateOf = async (entry: BlockedEntry): Promise<PrerequisiteState> => {
    if ((await redis.zscore(`${prefix}:${entry.queue}:failed`, entry.jobId)) !== null) return 'failed';
    return (await redis.exists(jobKey(prefix, entry.queue, entry.jobId))) ? 'moved' : 'gone';
  };

  const dependentExists = async (entry: BlockedEntry) => {
    const first = entry.dependents[0];
    return first ? (await redis.exists(jobKey(prefix, first.queue, first.jobId))) === 1 : false;
  };

  const release = async (entry: BlockedEntry): Promise<boolean> => {
    const job = await Job.fromId(queueOf(entry.queue), entry.jobId);
    if (!job) return false;
    await recordBlocked(redis, prefix, { ...entry, released: 'expired' });
    await job.removeChildDependency();
    logger.warn(
      { queue: entry.queue, jobId: entry.jobId, empresaId: entry.empresaId, dependents: entry.dependents.length },
      'flow blocked too long, failing its dependents',
    );
    return true;
  };

  const sweep = async (): Promise<number> => {
    const locked = await redis.set(`${prefix}:flows:guard-lock`, String(process.pid), 'PX', Math.max(100, options.intervalMs - 50), 'NX');
    if (!locked) return 0;
    let released = 0;
    for (const entry of await readBlocked(redis, prefix)) {
      const state = await stateOf(entry);
      if (state === 'moved' || !(await dependentExists(entry))) {
        // Retried (waiting, active or completed again), or nothing waits on it any more.
        await dropBlocked(redis, prefix, entry.queue, entry.jobId);
        continue;
      }
      if (state === 'failed' && !entry.released && now() - entry.failedAt >= options.timeoutMs && (await release(entry))) released++;
    }
    return released;
  };

  const timer = setInterval(() => {
    sweep().catch((err: unknown) => logger.warn({ err }, 'wedge guard sweep failed'));
  }, options.intervalMs);
  timer.unref();

  return {
    sweep,
    async stop() {
      clearInterval(timer);
      await Promise.allSettled([...queues.values()].map((queue) => queue.close()));
      queues.clear();
    },
  };
}
