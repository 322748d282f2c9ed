// First: a SIGHUP while the modules below load is held, not the end of the process (hold-hangup.ts).
import '@integrador/runtime/hold-hangup';
import { pingProcessor } from '@integrador/queue';
import { runWorkerApp } from '@integrador/runtime';
import { createIntegrationRunProcessor } from './processors/integration-run.processor';

// The set worker: SET pushes to receptors (SOAP, REST, databases); one process per replica (WORKER_PROCESSES for more), scaled on the "set" queue.
runWorkerApp('worker-set', 'set', (deps) => ({
  'system.ping': pingProcessor,
  'integration.run': createIntegrationRunProcessor(deps),
})).catch((err: unknown) => {
  process.stderr.write(`worker-set failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
