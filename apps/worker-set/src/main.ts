import { pingProcessor, runWorkerApp } from '@integrador/runtime';

// The set worker: one process per replica, scaled on the depth of the "set" queue.
runWorkerApp('worker-set', 'set', () => ({ 'system.ping': pingProcessor })).catch((err: unknown) => {
  process.stderr.write(`worker-set failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
