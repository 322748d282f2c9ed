import { recordAudit } from '@integrador/store';
import { recoverDeliveries, resendDelivery, WebhookError } from '@integrador/webhooks';
import { seesTenant, type Viewer } from './access';
import type { ActionDeps } from './actions';

/** The engine's "not yours / not there" as undefined (the routes answer 404); anything else goes on. */
async function unlessMissing<T>(work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof WebhookError && err.status === 404) return undefined;
    throw err;
  }
}

/** Sends one of the viewer's webhook deliveries again (the engine's resend: one manual attempt); the job id, or undefined. */
export async function resendWebhookDelivery(
  deps: ActionDeps,
  viewer: Viewer,
  empresaId: number,
  endpointId: number,
  entregaId: number,
): Promise<string | undefined> {
  if (!seesTenant(viewer, empresaId)) return undefined;
  const jobId = await unlessMissing(() => resendDelivery(deps.database.db, deps.producer, empresaId, endpointId, entregaId));
  if (jobId === undefined) return undefined;
  await recordAudit(deps.database.db, {
    autor: viewer.autor,
    operadorId: viewer.operadorId,
    empresaId,
    acao: 'webhook-resend',
    alvo: `webhook/${endpointId}/entrega/${entregaId} → webhook/${jobId}`,
    quantidade: 1,
    detalhe: null,
  });
  return jobId;
}

/** Re-sends the endpoint's failed deliveries since `since` (the engine's recover); how many, or undefined. */
export async function recoverWebhookFailures(
  deps: ActionDeps,
  viewer: Viewer,
  empresaId: number,
  endpointId: number,
  since: Date,
): Promise<number | undefined> {
  if (!seesTenant(viewer, empresaId)) return undefined;
  const count = await unlessMissing(() => recoverDeliveries(deps.database.db, deps.producer, empresaId, endpointId, since));
  if (count === undefined) return undefined;
  await recordAudit(deps.database.db, {
    autor: viewer.autor,
    operadorId: viewer.operadorId,
    empresaId,
    acao: 'webhook-recover',
    alvo: `webhook/${endpointId}`,
    quantidade: count,
    detalhe: { desde: since.toISOString() },
  });
  return count;
}
