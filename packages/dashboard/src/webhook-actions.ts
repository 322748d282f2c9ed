import { recoverDeliveries, resendDelivery, WebhookError } from '@integrador/webhooks';
import { seesTenant, type Viewer } from './access';
import { type ActionDeps, auditAction } from './actions';

/** The engine's caller: the tenant acted on, with the viewer's filial (a filial API key; null for operators). */
const callerOf = (viewer: Viewer, empresaId: number) => ({ empresaId, filialId: viewer.filialId });

/**
 * Runs one of the webhook engine's actions on a tenant the viewer sees and audits it; undefined when the tenant,
 * endpoint or delivery is not the viewer's (the engine's 404: the routes answer 404 too). The engine's other refusals
 * (403 FILIAL_SCOPE for a filial key, 409 for a disabled endpoint) reach the error handler.
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

/** Sends one of the viewer's webhook deliveries again (the engine's resend: one manual attempt, a pending one by its own job); the job id, or undefined. */
export function resendWebhookDelivery(deps: ActionDeps, viewer: Viewer, empresaId: number, endpointId: number, entregaId: number) {
  return audited(
    deps,
    viewer,
    empresaId,
    () => resendDelivery(deps.database.db, deps.producer, callerOf(viewer, empresaId), endpointId, entregaId),
    (jobId) => ({ acao: 'webhook-resend', alvo: `webhook/${endpointId}/entrega/${entregaId} → webhook/${jobId}`, quantidade: 1 }),
  );
}

/** Re-sends the endpoint's failed and disable-cancelled deliveries since `since` (the engine's recover); how many, or undefined. */
export function recoverWebhookFailures(deps: ActionDeps, viewer: Viewer, empresaId: number, endpointId: number, since: Date) {
  return audited(
    deps,
    viewer,
    empresaId,
    () => recoverDeliveries(deps.database.db, deps.producer, callerOf(viewer, empresaId), endpointId, since),
    ({ recovered, falhou, cancelada }) => ({
      acao: 'webhook-recover',
      alvo: `webhook/${endpointId}`,
      quantidade: recovered,
      detalhe: { desde: since.toISOString(), falhou, cancelada },
    }),
  );
}
