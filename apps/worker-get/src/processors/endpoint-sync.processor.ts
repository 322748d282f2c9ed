import { EndpointSyncError, type SyncReport, syncEndpointService } from '@integrador/integrador';
import type { EndpointSyncPayload } from '@integrador/jobs';
import type { JobHandler } from '@integrador/queue';
import type { WorkerDeps } from '@integrador/runtime';

/** endpoint.sync on the get queue: one seed 003 pull; limits and refusals are not retried, an unreachable endpoint is. */
export function createEndpointSyncProcessor(deps: WorkerDeps): JobHandler<EndpointSyncPayload> {
  const { database, config } = deps;
  return async (payload, ctx): Promise<SyncReport> => {
    const empresaId = payload.tenant.empresaId;
    try {
      const report = await syncEndpointService(
        { database, limits: config.endpoint, env: config.secretSource, ...(ctx.signal ? { signal: ctx.signal } : {}) },
        empresaId,
        payload.servicoId,
        payload.tipo,
      );
      const counts = report.eventos.map((e) => ({ tipo: e.tipo, recebidos: e.recebidos, invalidos: e.invalidos }));
      ctx.logger.info({ empresaId, servicoId: payload.servicoId, counts }, 'endpoint synced');
      return report;
    } catch (err) {
      if (err instanceof EndpointSyncError) {
        ctx.logger.warn({ empresaId, servicoId: payload.servicoId, code: err.code, permanent: err.permanent }, 'endpoint sync failed');
      }
      // Thrown as it is (the service is already marked "falha" with the reason, the job shows the same sentence): the
      // queue worker turns its permanence into UnrecoverableError once, keeping class, code, values and cause, so the
      // job record and the dashboard show its code and word it in the reader's language.
      throw err;
    }
  };
}
