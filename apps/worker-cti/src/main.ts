import { pingProcessor, runWorkerApp } from '@integrador/runtime';

// The cti worker: one process per replica, scaled on the depth of the "cti" queue.
runWorkerApp('worker-cti', 'cti', () => ({ 'system.ping': pingProcessor })).catch((err: unknown) => {
  process.stderr.write(`worker-cti failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
