import os from 'node:os';
import { loadConfig } from '@integrador/config';
import type { ConnectionsRegistry } from '@integrador/connections';
import type { Logger } from '@integrador/logging';
import { type JobObserver, pingProcessor, startQueueWorker } from '@integrador/queue';
import type { CrmDatabase } from '@integrador/store';
import type { TestDatabase } from '@integrador/test-support/databases';
import { type AppProcess, spawnApp, stopApps } from '@integrador/test-support/processes';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import type { TestProducer } from '@integrador/test-support/test-producer';
import type { Redis } from 'ioredis';
import { createIntegrationRunProcessor } from '../../apps/worker-set/src/processors/integration-run.processor';
import { DEFAULT_CREDENTIALS, type SeniorG5Server } from '../fixtures/senior-g5';
import { closeWorkerDeps, testWorkerDeps } from './worker-deps';

/** worker-set's handlers run in-process on the `set` queue of `prefix`. */
export interface TestSetWorker {
  /** Stops taking jobs, then closes the deps the worker opened (transports, batchers). */
  close(): Promise<void>;
}

/**
 * The set queue's worker as worker-set runs it (default configuration, one job at a time unless told), with deps of its
 * own: a new one sees a changed integracao at once (worker-set caches targets for a few seconds).
 */
export function startTestSetWorker(options: {
  database: CrmDatabase;
  connections: ConnectionsRegistry;
  connection: Redis;
  prefix: string;
  logger: Logger;
  observer?: JobObserver;
  concurrency?: number;
}): TestSetWorker {
  const { database, connections, logger } = options;
  const deps = testWorkerDeps({ config: loadConfig({}, os.tmpdir()), logger, database, connections });
  const worker = startQueueWorker({
    queue: 'set',
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency ?? 1,
    logger,
    ...(options.observer ? { observer: options.observer } : {}),
    handlers: { 'system.ping': pingProcessor, 'integration.run': createIntegrationRunProcessor(deps) },
  });
  return {
    async close() {
      await worker.close();
      await closeWorkerDeps(deps);
    },
  };
}

/** worker-set as a process on a test's Redis prefix, CRM database and Senior G5 connections file (LOG_LEVEL info). */
export function spawnSetWorker(options: {
  prefix: string;
  databaseUrl: string;
  connectionsFile: string;
  concurrency?: number;
}): AppProcess {
  return spawnApp('apps/worker-set/src/main.ts', {
    REDIS_URL: TEST_REDIS_URL,
    KEY_PREFIX: options.prefix,
    CRM_DATABASE_URL: options.databaseUrl,
    CONNECTIONS_FILE: options.connectionsFile,
    SENIOR_PASSWORD: DEFAULT_CREDENTIALS.password,
    ...(options.concurrency === undefined ? {} : { WORKER_CONCURRENCY: String(options.concurrency) }),
    LOG_LEVEL: 'info',
  });
}

/** The teardown of a suite around spawnSetWorker: the worker (when one runs), the producer, the CRM database, the ERP double. */
export async function closeSetSuite(suite: {
  worker: AppProcess | undefined;
  testProducer: TestProducer;
  database: TestDatabase;
  erp: SeniorG5Server;
}): Promise<void> {
  if (suite.worker) await stopApps([suite.worker]);
  await suite.testProducer.close();
  await suite.database.drop();
  await suite.erp.close();
}
