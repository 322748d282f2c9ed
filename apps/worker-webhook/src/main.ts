import { pingProcessor, runWorkerApp } from '@integrador/runtime';

// The webhook worker: one process per replica, scaled on the depth of the "webhook" queue.
runWorkerApp('worker-webhook', 'webhook', () => ({ 'system.ping': pingProcessor })).catch((err: unknown) => {
  process.stderr.write(`worker-webhook failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
