import { emptyConnections } from '@integrador/connections';
import type { Logger } from '@integrador/logging';
import type { JobProducer } from '@integrador/queue';
import type { CrmDatabase } from '@integrador/store';
import { startTestProducer, type TestProducerOptions } from '@integrador/test-support/test-producer';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { buildApp, type IngressDeps } from '../../apps/ingress/src/build-app';

export interface TestIngressOptions extends Omit<TestProducerOptions, 'logger'> {
  /** buildApp's deps beyond database, Redis, producer and key prefix (connections, cti, webhooks, logger, checkTimeoutMs…). */
  deps?: Partial<IngressDeps>;
}

/** An ingress app over its own key prefix, with the producer connection and producer it enqueues through. */
export interface TestIngress {
  app: FastifyInstance;
  redis: Redis;
  producer: JobProducer;
  prefix: string;
  logger: Logger;
  /** Closes the app, then the producer (deleting the prefix's keys on the machine's Redis). */
  close(): Promise<void>;
}

/**
 * The setup every ingress-level test shares: startTestProducer, then buildApp over the test's database (no
 * connections, a silent logger and 2 s checks unless `deps` says otherwise).
 */
export async function startTestIngress(database: CrmDatabase, options: TestIngressOptions = {}): Promise<TestIngress> {
  const { deps, ...producerOptions } = options;
  const queue = await startTestProducer({ ...producerOptions, ...(deps?.logger ? { logger: deps.logger } : {}) });
  const { redis, producer, prefix, logger } = queue;
  const app = await buildApp({
    connections: emptyConnections(),
    checkTimeoutMs: 2000,
    ...deps,
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
      await queue.close();
    },
  };
}
