import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ConnectionsRegistry } from '@integrador/connections';
import { admitRun, type Parametros, previewSet, resolveSetTarget, runInfo } from '@integrador/integrador';
import type { CrmDatabase, Tenant } from '@integrador/store';
import type { TransportFactory } from '@integrador/transports';
import { Type } from '@sinclair/typebox';
import { ErrorResponse, IdParams } from '../schemas';
import { RunBody, RunQuery } from './runs.routes';

export interface ReceptorRoutesDeps {
  database: CrmDatabase;
  connections: ConnectionsRegistry;
  transports: TransportFactory;
}

/**
 * The integration of the tenant, admitted for a preview or an INFO lookup (admitRun: the tenant's row, its required
 * parameters, its own conexao_integracao), with everything the run needs. Refusals and engine failures are thrown as
 * they are: the error handler's code table answers them (a row of another tenant, or no record of the tenant, 404).
 */
async function target(deps: ReceptorRoutesDeps, tenant: Tenant, id: number, parametros: Parametros, purpose: 'preview' | 'info') {
  const { runTenant } = await admitRun(deps.database.db, { tenant, integracaoId: id, parametros, purpose, connections: deps.connections });
  const resolved = await resolveSetTarget(deps.database, deps.connections, deps.transports, tenant, id);
  return {
    db: deps.database.db,
    dialect: deps.database.dialect,
    empresaId: runTenant.empresaId,
    filialId: runTenant.filialId,
    definition: resolved.definition,
    parametros,
    transport: resolved.transport,
    timeoutMs: resolved.timeoutMs,
  };
}

const responses = {
  400: ErrorResponse,
  401: ErrorResponse,
  404: ErrorResponse,
  409: ErrorResponse,
  422: ErrorResponse,
  502: ErrorResponse,
};

/** Dry run (preview) of SET/INFO integrations and synchronous INFO lookups. */
export function receptorRoutes(deps: ReceptorRoutesDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/integrations/:id/preview',
      {
        // Changes nothing: its answer is not kept for Idempotency-Key replays (they run it again).
        config: { idempotentAnswer: false },
        schema: {
          tags: ['integrations'],
          summary: 'Dry run: the consulta with its bound values and the exact request each record would send, without sending',
          params: IdParams,
          querystring: RunQuery,
          body: Type.Optional(RunBody),
          response: { 200: Type.Object({ consulta: Type.Unknown(), records: Type.Array(Type.Unknown()) }), ...responses },
        },
      },
      async (request) => {
        const parametros: Parametros = { ...request.query, ...(request.body?.parametros ?? {}) };
        return previewSet(await target(deps, request.tenant, request.params.id, parametros, 'preview'));
      },
    );

    app.post(
      '/integrations/:id/info',
      {
        // Changes nothing: its answer is not kept for Idempotency-Key replays (they run it again).
        config: { idempotentAnswer: false },
        schema: {
          tags: ['integrations'],
          summary: "INFO lookup in the receptor: answers the returned values under the integration's nome; writes nothing",
          params: IdParams,
          querystring: RunQuery,
          body: Type.Optional(RunBody),
          response: { 200: Type.Record(Type.String(), Type.Unknown()), ...responses },
        },
      },
      async (request) => {
        const parametros: Parametros = { ...request.query, ...(request.body?.parametros ?? {}) };
        return runInfo(await target(deps, request.tenant, request.params.id, parametros, 'info'));
      },
    );
  };
}
