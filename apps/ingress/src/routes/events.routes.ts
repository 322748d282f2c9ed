import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  admitRun,
  isPermanent,
  isRunnableOn,
  type Parametros,
  type PlannedStep,
  type RunCaller,
  RunRefusedError,
} from '@integrador/integrador';
import type { JobProducer } from '@integrador/queue';
import { enqueuePlannedRun, StepQueueUnavailableError } from '@integrador/runtime';
import { type CrmDatabase, listIntegracoes } from '@integrador/store';
import { Type } from '@sinclair/typebox';
import { ErrorResponse } from '../schemas';
import { RunBody } from './runs.routes';

/**
 * Admits every candidate through admitRun: one that lacks parametros_obrigatorios is skipped, one whose graph is broken
 * (or that admission refuses otherwise) is refused on its own — the others still run.
 */
async function admitAll(database: CrmDatabase, tenant: RunCaller, ids: readonly number[], parametros: Parametros) {
  const plans = new Map<number, PlannedStep[]>();
  const skipped: { integracaoId: number; missing: string[] }[] = [];
  const refused: { integracaoId: number; message: string }[] = [];
  for (const integracaoId of ids) {
    try {
      plans.set(integracaoId, (await admitRun(database.db, { tenant, integracaoId, parametros })).plan);
    } catch (err) {
      if (err instanceof RunRefusedError && err.code === 'MISSING_PARAMETERS') {
        skipped.push({ integracaoId, missing: (err.params.names ?? '').split(', ') });
      } else if (isPermanent(err)) refused.push({ integracaoId, message: (err as Error).message });
      else throw err;
    }
  }
  // A candidate that is a prerequisite of another candidate already runs in that one's flow: not twice.
  const inOtherFlow = new Set([...plans.values()].flatMap((plan) => plan.slice(0, -1).map((step) => step.integracaoId)));
  for (const id of inOtherFlow) plans.delete(id);
  return { plans, skipped, refused };
}

export const CrmChangeBody = Type.Object(
  {
    tabela: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', maxLength: 100, description: 'the CRM table that changed, e.g. contas' }),
    parametros: RunBody.properties.parametros,
  },
  { additionalProperties: false },
);

/**
 * POST /v1/events/crm-change: a CRM record changed. Every active SET integration of the tenant on that tabela
 * whose parametros_obrigatorios the event provides is enqueued (trigger event) with its prerequisites as one flow; the
 * others are listed as skipped, and one whose dependency graph is broken as refused (naming the rows).
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
              refused: Type.Array(Type.Object({ integracaoId: Type.Integer(), message: Type.String() })),
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
        const tabela = request.body.tabela.toLowerCase();
        const candidates = (await listIntegracoes(database.db, request.tenant)).filter(
          (row) => isRunnableOn(row, 'set') && (row.tabela ?? '').trim().toLowerCase() === tabela,
        );
        const jobs: { integracaoId: number; jobId: string }[] = [];
        const { plans, skipped, refused } = await admitAll(
          database,
          tenant,
          candidates.map((row) => row.id),
          parametros,
        );
        for (const [integracaoId, plan] of plans) {
          try {
            const run = await enqueuePlannedRun(producer, { tenant, integracaoId, parametros, trigger: 'event' }, plan);
            jobs.push({ integracaoId, jobId: run.jobId });
          } catch (err) {
            if (!(err instanceof StepQueueUnavailableError)) throw err;
            refused.push({ integracaoId, message: err.message });
          }
        }
        return reply.status(202).send({ jobs, skipped, refused });
      },
    );
  };
}
