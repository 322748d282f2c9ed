import { pingProcessor, runWorkerApp } from '@integrador/runtime';

// The get worker: one process per replica, scaled on the depth of the "get" queue.
runWorkerApp('worker-get', 'get', () => ({ 'system.ping': pingProcessor })).catch((err: unknown) => {
  process.stderr.write(`worker-get failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
