import {
  DanglingDependencyError,
  DependencyCycleError,
  PrerequisiteNotRunnableError,
  runSet,
  type SetRunResult,
  UnknownIntegracaoError,
} from '@integrador/integrador';
import type { IntegrationRunPayload } from '@integrador/jobs';
import { type FlowValues, type JobHandler, mergeFlowValues } from '@integrador/queue';
import { cachedRunPlans, cachedSetTargets, isPermanentFailure, limitedTransport, type WorkerDeps } from '@integrador/runtime';
import type { SoapClientCache } from '@integrador/transports';
import { UnrecoverableError } from 'bullmq';

/** A SET push's result; in a dependency flow also the values it passes to the steps after it. */
export type IntegrationRunResult = SetRunResult & { flow?: FlowValues };

function isGraphError(err: unknown): boolean {
  return (
    err instanceof DependencyCycleError ||
    err instanceof DanglingDependencyError ||
    err instanceof PrerequisiteNotRunnableError ||
    err instanceof UnknownIntegracaoError
  );
}

/** What a SET step hands down its flow: the values its receptor returned for its (first) record, e.g. codCli. */
function ownFlowValues(nome: string, result: SetRunResult) {
  return { nome, values: { ...(result.records[0]?.values ?? {}) } };
}

/** integration.run on the set queue: one SET push, permanent failures not retried. */
export function createIntegrationRunProcessor(deps: WorkerDeps, soapCache: SoapClientCache): JobHandler<IntegrationRunPayload> {
  const targetOf = cachedSetTargets(deps.database, deps.connections, soapCache);
  const planOf = cachedRunPlans(deps.database);
  return async (payload, ctx): Promise<IntegrationRunResult> => {
    const { database } = deps;
    const tenant = { empresaId: payload.tenant.empresaId, filialId: payload.tenant.filialId, nome: '' };
    try {
      // The configuration may have changed since the run was enqueued: a cycle or dangling reference now fails it for good.
      await planOf(tenant.empresaId, payload.integracaoId);
      const target = await targetOf(tenant, payload.integracaoId);
      const result = await runSet({
        db: database.db,
        dialect: database.dialect,
        empresaId: tenant.empresaId,
        definition: target.definition,
        parametros: payload.parametros,
        upstream: ctx.upstream,
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
      if (!payload.flow) return result;
      return {
        ...result,
        flow: mergeFlowValues(ctx.upstream, payload.integracaoId, ownFlowValues(target.definition.integracao.nome, result)),
      };
    } catch (err) {
      if (isPermanentFailure(err) || isGraphError(err)) {
        // The receptor's (or the configuration's) own message is what the operator sees on the failed job.
        throw new UnrecoverableError((err as Error).message);
      }
      throw err;
    }
  };
}
