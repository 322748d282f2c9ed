import { pingProcessor, runWorkerApp } from '@integrador/runtime';
import { UnrecoverableError } from 'bullmq';

// The get worker: one process per replica, scaled on the depth of the "get" queue.
runWorkerApp('worker-get', 'get', () => ({
  'system.ping': pingProcessor,
  // Replaced by the GET engine's processor in the next commits of this branch.
  'integration.run': async () => {
    throw new UnrecoverableError('GET pulls are not available in this build yet');
  },
})).catch((err: unknown) => {
  process.stderr.write(`worker-get failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
