import os from 'node:os';
import { loadConfig } from '@integrador/config';
import type { ConnectionsRegistry } from '@integrador/connections';
import type { Logger } from '@integrador/logging';
import { type JobObserver, pingProcessor, startQueueWorker } from '@integrador/queue';
import type { CrmDatabase } from '@integrador/store';
import type { Redis } from 'ioredis';
import { createIntegrationRunProcessor } from '../../apps/worker-set/src/processors/integration-run.processor';
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
