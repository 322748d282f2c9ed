import { randomUUID } from 'node:crypto';
import { createJobAdmission, getDefinitionOf, onCrm, runGet, runInputs, SyncBusyError } from '@integrador/integrador';
import type { GetRunResult, IntegrationRunPayload } from '@integrador/jobs';
import { DelayedReason, type FlowValues, type JobContext, type JobHandler, mergeFlowValues } from '@integrador/queue';
import type { WorkerDeps } from '@integrador/runtime';

/** How long a job waits for another run of its integration before it looks again. */
const BUSY_RECHECK_MS = { min: 1000, max: 10000 };

/** Another job holds the integration: wait (moveToDelayed, no attempt used) instead of running alongside it. */
async function waitForHolder(ctx: JobContext, err: SyncBusyError): Promise<never> {
  if (!ctx.token) throw err;
  const wait = Math.max(BUSY_RECHECK_MS.min, Math.min(err.expiresAt - Date.now(), BUSY_RECHECK_MS.max));
  ctx.logger.info({ holder: err.holder, waitMs: wait }, 'get run already in progress, waiting');
  await ctx.job.moveToDelayed(Date.now() + wait, ctx.token);
  throw new DelayedReason(
    'GET_RUN_BUSY',
    `another run of the integration holds it (${err.holder}); looking again in ${Math.ceil(wait / 1000)} s`,
  );
}

/**
 * integration.run on the get queue: admitted again (createJobAdmission), then one GET pull with progress after each
 * committed chunk. Only waiting for another run is handled here; the queue worker fails permanent errors for good.
 */
export function createIntegrationRunProcessor(deps: WorkerDeps): JobHandler<IntegrationRunPayload> {
  // With the connections file: a GET on a connection that is no database fails its admission (GET_CONFIG), as the run API's does.
  const admitJob = createJobAdmission(deps.database, { connections: deps.connections });
  return async (payload, ctx): Promise<GetRunResult & { flow?: FlowValues }> => {
    const { database, connections, config, sources } = deps;
    const tenant = { empresaId: payload.tenant.empresaId, filialId: payload.tenant.filialId, nome: '' };
    const jobId = String(ctx.job.id);
    try {
      // Admission reads the CRM (configuration, tenant): a lost connection there names the CRM as the side that failed.
      const definition = getDefinitionOf(await onCrm(() => admitJob(payload, ctx.upstream, ctx.job.attemptsMade)));
      // A pull is one outbound use of the ERP connection: the (tenant, connection) rate limit applies to it.
      await ctx.limits.acquire({ connection: definition.conexao.nome_conexao });
      // The run is one user of the connection's reader: a reload of the connections file does not close it under the run.
      const connection = connections.require(definition.conexao.nome_conexao, tenant.empresaId);
      const result = await sources.withReader(connection, (reader) =>
        runGet({
          db: database.db,
          dialect: database.dialect,
          definition,
          reader,
          ...(connection.passwordVariables ? { passwordVariables: connection.passwordVariables } : {}),
          tenant,
          // In a dependency flow the values of the steps before this one are #vars# too (same precedence as a SET step).
          parametros: runInputs(payload.parametros, ctx.upstream),
          jobId,
          trigger: payload.trigger,
          // The same job recovered after its worker died takes over at once; any other job waits for the lease.
          owner: `${jobId}:${randomUUID()}`,
          takeOverPrefix: `${jobId}:`,
          leaseMs: config.getLeaseMs,
          ...(ctx.signal ? { signal: ctx.signal } : {}),
          onProgress: (progress) => ctx.job.updateProgress(progress),
          onWarning: (message, detail) => ctx.logger.warn(detail, message),
        }),
      );
      ctx.logger.info({ empresaId: tenant.empresaId, ...result }, 'get pulled');
      if (!payload.flow) return result;
      // A GET step hands down what it received plus its own counts and cursor (GET+SET chains, seed 001).
      const own = { rowsWritten: result.rowsWritten, cursor: result.cursor };
      return { ...result, flow: mergeFlowValues(ctx.upstream, payload.integracaoId, { nome: definition.integracao.nome, values: own }) };
    } catch (err) {
      if (err instanceof SyncBusyError) return waitForHolder(ctx, err);
      throw err;
    }
  };
}
