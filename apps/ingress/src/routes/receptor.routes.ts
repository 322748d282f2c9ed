import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ConnectionsRegistry } from '@integrador/connections';
import { missingParameters, type Parametros, previewSet, runInfo } from '@integrador/integrador';
import { isPermanentFailure, resolveSetTarget } from '@integrador/runtime';
import { type CrmDatabase, findIntegracao, type Tenant } from '@integrador/store';
import { type SoapClientCache, TransientTransportError } from '@integrador/transports';
import { Type } from '@sinclair/typebox';
import { HttpError } from '../http-error';
import { ErrorResponse, IdParams } from '../schemas';
import { RunBody, RunQuery } from './runs.routes';

export interface ReceptorRoutesDeps {
  database: CrmDatabase;
  connections: ConnectionsRegistry;
  soapCache: SoapClientCache;
}

/** Maps engine and transport failures to HTTP: configuration/receptor refusals 422, unreachable receptors 502. */
function asHttpError(err: unknown): unknown {
  if (err instanceof HttpError) return err;
  if (err instanceof TransientTransportError) return new HttpError(502, 'RECEPTOR_UNAVAILABLE', { detail: err.message }, { cause: err });
  if (isPermanentFailure(err)) return new HttpError(422, 'INTEGRATION_FAILED', { detail: (err as Error).message }, { cause: err });
  return err;
}

/** The integration of the tenant, checked for its required parameters, with everything a preview or INFO run needs. */
async function target(deps: ReceptorRoutesDeps, tenant: Tenant, id: number, parametros: Parametros) {
  const integracao = await findIntegracao(deps.database.db, tenant, id);
  if (!integracao) throw new HttpError(404, 'NOT_FOUND');
  const missing = missingParameters(integracao, parametros);
  if (missing.length) throw new HttpError(400, 'MISSING_PARAMETERS', { names: missing.join(', ') });
  const resolved = await resolveSetTarget(deps.database, deps.connections, deps.soapCache, tenant, id);
  const context = {
    db: deps.database.db,
    dialect: deps.database.dialect,
    empresaId: tenant.empresaId,
    definition: resolved.definition,
    parametros,
    transport: resolved.transport,
    timeoutMs: resolved.timeoutMs,
  };
  return { integracao, context };
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
        try {
          const { context } = await target(deps, request.tenant, request.params.id, parametros);
          return await previewSet(context);
        } catch (err) {
          throw asHttpError(err);
        }
      },
    );

    app.post(
      '/integrations/:id/info',
      {
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
        try {
          const { integracao, context } = await target(deps, request.tenant, request.params.id, parametros);
          if (integracao.tipo_servico !== 'INFO') {
            throw new HttpError(409, 'NOT_RUNNABLE', { id: String(integracao.id), tipo: integracao.tipo_servico, reason: 'INFO' });
          }
          return await runInfo(context);
        } catch (err) {
          throw asHttpError(err);
        }
      },
    );
  };
}
