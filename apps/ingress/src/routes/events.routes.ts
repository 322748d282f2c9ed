import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { missingParameters, type Parametros } from '@integrador/integrador';
import type { JobProducer } from '@integrador/queue';
import { type CrmDatabase, listIntegracoes } from '@integrador/store';
import { Type } from '@sinclair/typebox';
import { ErrorResponse } from '../schemas';
import { RunBody } from './runs.routes';

export const CrmChangeBody = Type.Object(
  {
    tabela: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', maxLength: 100, description: 'the CRM table that changed, e.g. contas' }),
    parametros: RunBody.properties.parametros,
  },
  { additionalProperties: false },
);

/**
 * POST /v1/events/crm-change: a CRM record changed. Every active SET integration of the tenant on that tabela
 * whose parametros_obrigatorios the event provides is enqueued (trigger event); the others are listed as skipped.
 */
export function eventsRoutes(database: CrmDatabase, producer: JobProducer): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/events/crm-change',
      {
        schema: {
          tags: ['integrations'],
          summary: 'A CRM record changed: run the SET integrations of its table',
          body: CrmChangeBody,
          response: {
            202: Type.Object({
              jobs: Type.Array(Type.Object({ integracaoId: Type.Integer(), jobId: Type.String() })),
              skipped: Type.Array(Type.Object({ integracaoId: Type.Integer(), missing: Type.Array(Type.String()) })),
            }),
            400: ErrorResponse,
            401: ErrorResponse,
            503: ErrorResponse,
          },
        },
      },
      async (request, reply) => {
        const parametros: Parametros = request.body.parametros ?? {};
        const tenant = { empresaId: request.tenant.empresaId, filialId: request.tenant.filialId };
        const candidates = (await listIntegracoes(database.db, request.tenant)).filter(
          (row) =>
            row.tipo_servico === 'SET' &&
            Number(row.ativo) === 1 &&
            (row.link ?? '').trim().toLowerCase() !== 'componente' &&
            (row.tabela ?? '').toLowerCase() === request.body.tabela.toLowerCase(),
        );
        const jobs: { integracaoId: number; jobId: string }[] = [];
        const skipped: { integracaoId: number; missing: string[] }[] = [];
        for (const row of candidates) {
          const missing = missingParameters(row, parametros);
          if (missing.length) {
            skipped.push({ integracaoId: row.id, missing });
            continue;
          }
          const job = await producer.enqueue('set', 'integration.run', { tenant, integracaoId: row.id, parametros, trigger: 'event' });
          jobs.push({ integracaoId: row.id, jobId: String(job.id) });
        }
        return reply.status(202).send({ jobs, skipped });
      },
    );
  };
}
