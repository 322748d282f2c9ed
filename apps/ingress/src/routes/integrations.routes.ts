import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type CrmDatabase, findIntegracaoDetail, listIntegracoes } from '@integrador/store';
import { Type } from '@sinclair/typebox';
import { HttpError } from '../http-error';
import { ErrorResponse, IdParams, IntegracaoDetailResponse, IntegracaoResponse, ListIntegracoesQuery, TenantResponse } from '../schemas';

/** Who am I, and the tenant's Integrador configuration (read-only until the SET/GET issues add runs). */
export function integrationsRoutes(database: CrmDatabase): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/me',
      { schema: { tags: ['tenant'], summary: 'The tenant of the API key', response: { 200: TenantResponse, 401: ErrorResponse } } },
      async (request) => request.tenant,
    );

    app.get(
      '/integrations',
      {
        schema: {
          tags: ['integrations'],
          summary: "The tenant's integracao rows in execution order",
          querystring: ListIntegracoesQuery,
          response: {
            200: Type.Object({ items: Type.Array(IntegracaoResponse), total: Type.Integer() }),
            400: ErrorResponse,
            401: ErrorResponse,
          },
        },
      },
      async (request) => {
        const { tipo_servico, limit, offset } = request.query;
        const rows = (await listIntegracoes(database.db, request.tenant)).filter((r) => !tipo_servico || r.tipo_servico === tipo_servico);
        return { items: rows.slice(offset, offset + limit), total: rows.length };
      },
    );

    app.get(
      '/integrations/:id',
      {
        schema: {
          tags: ['integrations'],
          summary: 'One integracao row of the tenant with its campos, dependencias and regras, and its connection by name',
          params: IdParams,
          response: { 200: IntegracaoDetailResponse, 400: ErrorResponse, 401: ErrorResponse, 404: ErrorResponse },
        },
      },
      async (request) => {
        const row = await findIntegracaoDetail(database.db, request.tenant, request.params.id);
        // Another tenant's row is indistinguishable from a missing one.
        if (!row) throw new HttpError(404, 'NOT_FOUND');
        return row;
      },
    );
  };
}
