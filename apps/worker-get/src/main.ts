// First: a SIGHUP while the modules below load is held, not the end of the process (hold-hangup.ts).
import '@integrador/runtime/hold-hangup';
import { abandonFailedGetRun } from '@integrador/integrador';
import { oneRunPerIntegration, oneSyncPerService, pingProcessor } from '@integrador/queue';
import { runWorkerApp } from '@integrador/runtime';
import { createEndpointSyncProcessor } from './processors/endpoint-sync.processor';
import { createIntegrationRunProcessor } from './processors/integration-run.processor';
import { startGetSchedules } from './schedules.service';

// The get worker: GET pulls from the customers' ERP databases and JSON endpoint services (seed 003) into the CRM;
// one process per replica (WORKER_PROCESSES for more), scaled on the "get" queue.
runWorkerApp('worker-get', 'get', (deps, services) => {
  // The GET schedulers follow integracao.cron (at start and every SCHEDULE_SYNC_INTERVAL_MS).
  startGetSchedules(deps, services);
  // A pull that failed for good without closing its own records (its worker died once too often, or the CRM was down
  // as it failed) leaves no run "executando".
  services.onJobFailedForGood((job, err) => abandonFailedGetRun(deps.database, job, err));
  return {
    'system.ping': pingProcessor,
    // One run at a time per integration, whoever produced the job (API, CLI, scheduler).
    'integration.run': oneRunPerIntegration(services.redis, deps.config.keyPrefix, createIntegrationRunProcessor(deps)),
    // A scheduled sync finds no other sync of its service under way, or is skipped.
    'endpoint.sync': oneSyncPerService(services.redis, deps.config.keyPrefix, createEndpointSyncProcessor(deps)),
  };
}).catch((err: unknown) => {
  process.stderr.write(`worker-get failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
