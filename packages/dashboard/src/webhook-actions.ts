import { recoverDeliveries, resendDelivery, WebhookError } from '@integrador/webhooks';
import { seesTenant, type Viewer } from './access';
import { type ActionDeps, auditAction } from './actions';

/**
 * Runs one of the webhook engine's actions on a tenant the viewer sees and audits it; undefined when the tenant,
 * endpoint or delivery is not the viewer's (the engine's 404: the routes answer 404 too).
 */
async function audited<T>(
  deps: ActionDeps,
  viewer: Viewer,
  empresaId: number,
  work: () => Promise<T>,
  describe: (result: T) => { acao: string; alvo: string; quantidade: number; detalhe?: Record<string, unknown> },
): Promise<T | undefined> {
  if (!seesTenant(viewer, empresaId)) return undefined;
  let result: T;
  try {
    result = await work();
  } catch (err) {
    if (err instanceof WebhookError && err.status === 404) return undefined;
    throw err;
  }
  await auditAction(deps, viewer, { empresaId, ...describe(result) });
  return result;
}

/** Sends one of the viewer's webhook deliveries again (the engine's resend: one manual attempt); the job id, or undefined. */
export function resendWebhookDelivery(deps: ActionDeps, viewer: Viewer, empresaId: number, endpointId: number, entregaId: number) {
  return audited(
    deps,
    viewer,
    empresaId,
    () => resendDelivery(deps.database.db, deps.producer, empresaId, endpointId, entregaId),
    (jobId) => ({ acao: 'webhook-resend', alvo: `webhook/${endpointId}/entrega/${entregaId} → webhook/${jobId}`, quantidade: 1 }),
  );
}

/** Re-sends the endpoint's failed deliveries since `since` (the engine's recover); how many, or undefined. */
export function recoverWebhookFailures(deps: ActionDeps, viewer: Viewer, empresaId: number, endpointId: number, since: Date) {
  return audited(
    deps,
    viewer,
    empresaId,
    () => recoverDeliveries(deps.database.db, deps.producer, empresaId, endpointId, since),
    (count) => ({ acao: 'webhook-recover', alvo: `webhook/${endpointId}`, quantidade: count, detalhe: { desde: since.toISOString() } }),
  );
}
