import type { JobPayload } from '@integrador/jobs';
import type { JobHandler } from '@integrador/queue';
import { type DeliveryDeps, runDeliveryJob } from '@integrador/webhooks';

/** webhook.deliver: one signed POST of a stored change to one endpoint (the engine decides retries and waits). */
export function createWebhookDeliverProcessor(deps: DeliveryDeps): JobHandler<JobPayload<'webhook', 'webhook.deliver'>> {
  return (payload, ctx) => runDeliveryJob(deps, payload, ctx.job, ctx.token, ctx.operatorRetries);
}
