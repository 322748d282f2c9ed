import { runSet, type SetRunResult } from '@integrador/integrador';
import type { IntegrationRunPayload } from '@integrador/jobs';
import type { JobHandler } from '@integrador/queue';
import { cachedSetTargets, isPermanentFailure, limitedTransport, type WorkerDeps } from '@integrador/runtime';
import type { SoapClientCache } from '@integrador/transports';
import { UnrecoverableError } from 'bullmq';

/** integration.run on the set queue: one SET push, permanent failures not retried. */
export function createIntegrationRunProcessor(deps: WorkerDeps, soapCache: SoapClientCache): JobHandler<IntegrationRunPayload> {
  const targetOf = cachedSetTargets(deps.database, deps.connections, soapCache);
  return async (payload, ctx): Promise<SetRunResult> => {
    const { database } = deps;
    const tenant = { empresaId: payload.tenant.empresaId, filialId: payload.tenant.filialId, nome: '' };
    try {
      const target = await targetOf(tenant, payload.integracaoId);
      const result = await runSet({
        db: database.db,
        dialect: database.dialect,
        empresaId: tenant.empresaId,
        definition: target.definition,
        parametros: payload.parametros,
        jobId: String(ctx.job.id),
        // Rate limits of (tenant, connection) and a target's Retry-After apply to each outbound call.
        transport: limitedTransport(target.transport, ctx.limits, target.connection.name),
        timeoutMs: target.timeoutMs,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        // The full detail of every attempt goes to the job's log (the operator's view); the outbox keeps it too.
        onAttempt: async (attempt) => {
          await ctx.job.log(JSON.stringify(attempt));
        },
      });
      ctx.logger.info({ integracaoId: payload.integracaoId, empresaId: tenant.empresaId, records: result.records.length }, 'set pushed');
      return result;
    } catch (err) {
      if (isPermanentFailure(err)) {
        // The receptor's (or the configuration's) own message is what the operator sees on the failed job.
        throw new UnrecoverableError((err as Error).message);
      }
      throw err;
    }
  };
}
