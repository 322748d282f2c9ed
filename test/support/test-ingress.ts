import { emptyConnections } from '@integrador/connections';
import { createLogger, type Logger } from '@integrador/logging';
import { createRedis, JobProducer, waitUntilReady } from '@integrador/queue';
import type { CrmDatabase } from '@integrador/store';
import { deletePrefix, TEST_REDIS_URL, testPrefix } from '@integrador/test-support/redis-server';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { buildApp, type IngressDeps } from '../../apps/ingress/src/build-app';

export interface TestIngressOptions {
  /** The Redis the app enqueues to; the machine's (TEST_REDIS_URL) by default. */
  redisUrl?: string;
  /** The key prefix (a fresh one by default), for a test that needs it before the app starts. */
  prefix?: string;
  /** The producer connection's per-command timeout (ms); none by default. */
  commandTimeoutMs?: number;
  /** The JobProducer's add timeout (ms); 2000 by default. */
  enqueueTimeoutMs?: number;
  /** buildApp's deps beyond database, Redis, producer and key prefix (connections, cti, webhooks, checkTimeoutMs…). */
  deps?: Partial<IngressDeps>;
}

/** An ingress app over its own key prefix, with the producer connection and producer it enqueues through. */
export interface TestIngress {
  app: FastifyInstance;
  redis: Redis;
  producer: JobProducer;
  prefix: string;
  logger: Logger;
  /** Closes the app and the producer, deletes the prefix's keys (on the machine's Redis) and disconnects. */
  close(): Promise<void>;
}

/**
 * The setup every ingress-level test shares: a fresh key prefix, a producer-role connection, a JobProducer and
 * buildApp over the test's database (no connections, a silent logger and 2 s checks unless `deps` says otherwise).
 */
export async function startTestIngress(database: CrmDatabase, options: TestIngressOptions = {}): Promise<TestIngress> {
  const redisUrl = options.redisUrl ?? TEST_REDIS_URL;
  const logger = options.deps?.logger ?? createLogger({ name: 'test-ingress', level: 'silent' });
  const prefix = options.prefix ?? testPrefix();
  const redis = createRedis(redisUrl, {
    role: 'producer',
    ...(options.commandTimeoutMs === undefined ? {} : { commandTimeoutMs: options.commandTimeoutMs }),
  });
  redis.on('error', () => {});
  await waitUntilReady(redis);
  const producer = new JobProducer({ connection: redis, prefix, timeoutMs: options.enqueueTimeoutMs ?? 2000, logger });
  const app = await buildApp({
    connections: emptyConnections(),
    checkTimeoutMs: 2000,
    ...options.deps,
    database,
    redis,
    producer,
    logger,
    keyPrefix: prefix,
  });
  return {
    app,
    redis,
    producer,
    prefix,
    logger,
    async close() {
      await app.close();
      await producer.close();
      // A private server is the test's to remove (it may be stopped or frozen by now); the machine's is shared.
      if (redisUrl === TEST_REDIS_URL) await deletePrefix(TEST_REDIS_URL, prefix);
      redis.disconnect();
    },
  };
}
