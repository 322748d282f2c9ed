import { runSet, type SetRunResult } from '@integrador/integrador';
import type { IntegrationRunPayload } from '@integrador/jobs';
import { type FlowValues, type JobHandler, mergeFlowValues } from '@integrador/queue';
import { cachedSetTargets, createJobAdmission, limitedTransport, type SetTarget, type WorkerDeps } from '@integrador/runtime';
import { batchingTransport, type Transport } from '@integrador/transports';

/** A SET push's result; in a dependency flow also the values it passes to the steps after it. */
export type IntegrationRunResult = SetRunResult & { flow?: FlowValues };

/**
 * The transport a push goes out on: with integracao.lote_maximo > 1 (micro-batching, opt-in), one batcher per
 * (tenant, integration) merges pushes taken within a few milliseconds into one receptor call.
 */
function batchedTransports() {
  const batchers = new Map<string, { inner: Transport; max: number; batcher: Transport }>();
  return (key: string, target: SetTarget): Transport => {
    const { integracao } = target.definition;
    const max = integracao.lote_maximo ?? 1;
    const answerList = integracao.indice_array_retorno?.trim();
    if (max <= 1 || !answerList) return target.transport;
    const known = batchers.get(key);
    if (known && known.inner === target.transport && known.max === max) return known.batcher;
    const batcher = batchingTransport(target.transport, { max, answerList });
    batchers.set(key, { inner: target.transport, max, batcher });
    return batcher;
  };
}

/**
 * integration.run on the set queue: admitted again (createJobAdmission: cached for a few seconds, fresh on a retry),
 * then one SET push. Errors are not caught here: the queue worker fails permanent ones for good and retries the others.
 */
export function createIntegrationRunProcessor(deps: WorkerDeps): JobHandler<IntegrationRunPayload> {
  const targetOf = cachedSetTargets(deps.database, deps.connections, deps.transports);
  const admitJob = createJobAdmission(deps.database);
  const transportOf = batchedTransports();
  return async (payload, ctx): Promise<IntegrationRunResult> => {
    const { database } = deps;
    const { runTenant } = await admitJob(payload, ctx.upstream, ctx.job.attemptsMade);
    const target = await targetOf({ ...payload.tenant, nome: '' }, payload.integracaoId);
    const result = await runSet({
      db: database.db,
      dialect: database.dialect,
      empresaId: runTenant.empresaId,
      filialId: runTenant.filialId,
      definition: target.definition,
      parametros: payload.parametros,
      upstream: ctx.upstream,
      jobId: String(ctx.job.id),
      // Rate limits of (tenant, connection) and a target's Retry-After apply to each outbound call.
      transport: limitedTransport(
        transportOf(`${runTenant.empresaId}:${runTenant.filialId ?? ''}:${payload.integracaoId}`, target),
        ctx.limits,
        target.connection,
      ),
      timeoutMs: target.timeoutMs,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      // The full detail of every attempt goes to the job's log (the operator's view); the outbox keeps it too.
      onAttempt: (attempt) => ctx.job.log(JSON.stringify(attempt)).then(() => undefined),
    });
    ctx.logger.info({ integracaoId: payload.integracaoId, empresaId: runTenant.empresaId, records: result.records.length }, 'set pushed');
    if (!payload.flow) return result;
    // A SET step hands down the values its receptor returned for its (first) record, e.g. codCli.
    const own = { nome: target.definition.integracao.nome, values: { ...(result.records[0]?.values ?? {}) } };
    return { ...result, flow: mergeFlowValues(ctx.upstream, payload.integracaoId, own) };
  };
}
