import { createLogger, type Logger } from '@integrador/logging';
import { createRedis, JobProducer, waitUntilReady } from '@integrador/queue';
import type { Redis } from 'ioredis';
import { deletePrefix, TEST_REDIS_URL, testPrefix } from './redis-server';

export interface TestProducerOptions {
  /** The Redis to enqueue to; the machine's (TEST_REDIS_URL) by default. */
  redisUrl?: string;
  /** The key prefix; a fresh one by default. */
  prefix?: string;
  /** The producer connection's per-command timeout (ms); none by default. */
  commandTimeoutMs?: number;
  /** The JobProducer's add timeout (ms); 2000 by default. */
  enqueueTimeoutMs?: number;
  logger?: Logger;
}

/** A producer-role connection and a JobProducer over a key prefix of the test's own. */
export interface TestProducer {
  redis: Redis;
  producer: JobProducer;
  prefix: string;
  logger: Logger;
  /** Closes the producer, deletes the prefix's keys (on the machine's Redis) and disconnects. */
  close(): Promise<void>;
}

/** What a test that enqueues needs, ready (the connection answered) when it resolves. */
export async function startTestProducer(options: TestProducerOptions = {}): Promise<TestProducer> {
  const redisUrl = options.redisUrl ?? TEST_REDIS_URL;
  const logger = options.logger ?? createLogger({ name: 'test-producer', level: 'silent' });
  const prefix = options.prefix ?? testPrefix();
  // On the machine's Redis a command is never the test's subject: 10 s (as the dashboard harness), not the product's 2 s,
  // which two suites at a time on a loaded machine have run past (config-lint.routes "Command timed out").
  const commandTimeoutMs = options.commandTimeoutMs ?? (redisUrl === TEST_REDIS_URL ? 10_000 : undefined);
  const redis = createRedis(redisUrl, { role: 'producer', ...(commandTimeoutMs === undefined ? {} : { commandTimeoutMs }) });
  // A private server may be stopped or frozen by the test: its errors are the test's subject, not a crash.
  redis.on('error', () => {});
  await waitUntilReady(redis);
  const producer = new JobProducer({ connection: redis, prefix, timeoutMs: options.enqueueTimeoutMs ?? 2000, logger });
  return {
    redis,
    producer,
    prefix,
    logger,
    async close() {
      await producer.close();
      // A private server is the test's to remove (it may be stopped by now); the machine's is shared.
      if (redisUrl === TEST_REDIS_URL) await deletePrefix(TEST_REDIS_URL, prefix);
      redis.disconnect();
    },
  };
}

/** A TestProducer and a worker-role connection on the same prefix: what a test running a real BullMQ worker needs. */
export interface TestQueues extends TestProducer {
  /** The connection a worker takes jobs on (worker role: it waits across reconnects); closed by `close()`. */
  workerRedis: Redis;
}

/**
 * startTestProducer plus a worker-role connection to the same Redis; `close()` closes the producer, deletes the
 * prefix's keys and disconnects both. Close the workers built on it first.
 */
export async function startTestQueues(options: TestProducerOptions = {}): Promise<TestQueues> {
  const queues = await startTestProducer(options);
  const workerRedis = createRedis(options.redisUrl ?? TEST_REDIS_URL, { role: 'worker' });
  workerRedis.on('error', () => {});
  return {
    ...queues,
    workerRedis,
    async close() {
      await queues.close();
      workerRedis.disconnect();
    },
  };
}
