import { loadConfig } from '@integrador/config';
import { createLogger, type Logger } from '@integrador/logging';
import { type QueueHandlers, startQueueWorker, TenantLimiter } from '@integrador/queue';
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';

/** A queue's name (@integrador/jobs' QueueName, as the queue package's worker takes it). */
type QueueName = Parameters<typeof startQueueWorker>[0]['queue'];

export interface LimitedWorkerOptions<Q extends QueueName> {
  /** The worker-role connection the limiter and the worker use. */
  redis: Redis;
  prefix: string;
  queue: Q;
  concurrency: number;
  handlers: QueueHandlers<Q>;
  /** How often the limiter reads the limits mirror and the other processes' state (the limiter's own default unset). */
  pollMs?: number;
  logger?: Logger;
}

/** A started TenantLimiter and a queue worker under it; `close()` closes the worker, then the limiter. */
export interface LimitedWorker {
  limiter: TenantLimiter;
  worker: Worker;
  close(): Promise<void>;
}

/**
 * A worker process's limits as the worker apps run them (the default JOB_LOCK_MS as the lease), on the test's Redis prefix: the limiter
 * started before the worker takes a job. The limits themselves are the test's to write (writeLimitsMirror).
 */
export async function startLimitedWorker<Q extends QueueName>(options: LimitedWorkerOptions<Q>): Promise<LimitedWorker> {
  const logger = options.logger ?? createLogger({ name: 'limited-worker', level: 'silent' });
  const { redis, prefix } = options;
  const limiter = new TenantLimiter({
    redis,
    prefix,
    logger,
    leaseMs: loadConfig({}).jobLockMs,
    ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
  });
  await limiter.start();
  let worker: Worker;
  try {
    worker = startQueueWorker({
      queue: options.queue,
      connection: redis,
      prefix,
      concurrency: options.concurrency,
      logger,
      limiter,
      handlers: options.handlers,
    });
  } catch (err) {
    await limiter.close();
    throw err;
  }
  return {
    limiter,
    worker,
    async close() {
      await worker.close();
      await limiter.close();
    },
  };
}
