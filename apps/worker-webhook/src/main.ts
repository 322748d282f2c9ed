// First: a SIGHUP while the modules below load is held, not the end of the process (hold-hangup.ts).
import '@integrador/runtime/hold-hangup';
import { pingProcessor } from '@integrador/queue';
import { runWorkerApp } from '@integrador/runtime';
import { createWebhookDeliverProcessor } from './processors/webhook-deliver.processor';
import { startWebhookServices } from './webhook-services';

// The webhook worker: signed deliveries of CRM changes to the tenants' endpoints (seed 004) and, with
// WEBHOOK_CAPTURE=triggers, the capture outbox drain; one process per replica (WORKER_PROCESSES for more), scaled on the "webhook" queue.
// Deliveries are I/O-bound (most of a delivery is waiting on the receiver): 100 at a time per process unless
// WORKER_CONCURRENCY says otherwise; WEBHOOK_ENDPOINT_CONCURRENCY still caps each endpoint.
const WEBHOOK_WORKER_CONCURRENCY = 100;
// Their database work is grouped (rows read and successes recorded together, one endpoint read per expiry): 20 CRM
// connections per process, not one per delivery (× WORKER_PROCESSES × replicas against max_connections).
const WEBHOOK_WORKER_POOL = 20;

runWorkerApp(
  'worker-webhook',
  'webhook',
  (deps, services) => ({
    'system.ping': pingProcessor,
    'webhook.deliver': createWebhookDeliverProcessor(startWebhookServices(deps, services)),
  }),
  { defaultConcurrency: WEBHOOK_WORKER_CONCURRENCY, maxPoolSize: WEBHOOK_WORKER_POOL },
).catch((err: unknown) => {
  process.stderr.write(`worker-webhook failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
