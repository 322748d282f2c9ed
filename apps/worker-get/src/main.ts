import { pingProcessor, runWorkerApp } from '@integrador/runtime';
import { createEndpointSyncProcessor } from './processors/endpoint-sync.processor';

// The get worker: one process per replica, scaled on the depth of the "get" queue.
runWorkerApp('worker-get', 'get', (deps) => ({ 'system.ping': pingProcessor, 'endpoint.sync': createEndpointSyncProcessor(deps) })).catch(
  (err: unknown) => {
    process.stderr.write(`worker-get failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
