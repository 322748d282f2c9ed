import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { listEndpointSchedules, listSchedules } from '@integrador/integrador';
import { Nullable } from '@integrador/jobs';
import type { JobProducer } from '@integrador/queue';
import type { CrmDatabase } from '@integrador/store';
import { Type } from '@sinclair/typebox';
import { localeOf } from '../i18n';
import { ErrorResponse } from '../schemas';

const LastRunResponse = Type.Object({
  jobId: Nullable(Type.String()),
  trigger: Nullable(Type.String()),
  status: Type.String({ description: 'executando, concluido or falhou' }),
  mode: Type.String({ description: 'full or incremental' }),
  startedAt: Nullable(Type.String()),
  finishedAt: Nullable(Type.String()),
  rowsRead: Type.Integer(),
  rowsWritten: Type.Integer(),
  rowsSkipped: Type.Integer(),
  rowsMarkedDeleted: Type.Integer(),
  error: Nullable(Type.String()),
});

const ScheduleResponse = Type.Object({
  integracaoId: Type.Integer(),
  empresaId: Type.Integer(),
  nome: Type.String(),
  cron: Nullable(Type.String()),
  tz: Nullable(Type.String()),
  status: Type.String({
    description:
      'scheduled, pending (not reconciled yet, or an invalid cron), paused (the schedule or its empresa; no nextRunAt) or not_scheduled',
  }),
  nextRunAt: Nullable(Type.String()),
  lastRun: Nullable(LastRunResponse),
});

const EndpointScheduleResponse = Type.Object({
  servicoId: Type.Integer(),
  empresaId: Type.Integer(),
  nome: Type.String(),
  cron: Nullable(Type.String()),
  tz: Nullable(Type.String()),
  status: Type.String({ description: 'scheduled, pending (not reconciled yet) or not_scheduled (inactive or no cron)' }),
  nextRunAt: Nullable(Type.String()),
  lastRun: Nullable(Type.Object({ status: Type.String({ description: 'ok, falha or nunca_executado' }), at: Nullable(Type.String()) })),
});

/**
 * GET /v1/schedules: the tenant's GET integrations with their cron, next run (from the scheduler) and last run, and
 * its JSON endpoint services (seed 003) the same way.
 */
export function schedulesRoutes(database: CrmDatabase, producer: JobProducer, scheduleTimezone?: string): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/schedules',
      {
        schema: {
          tags: ['integrations'],
          summary: "The tenant's GET integrations and JSON endpoint services: cron, next scheduled run and last run",
          response: {
            200: Type.Object({ items: Type.Array(ScheduleResponse), endpoints: Type.Array(EndpointScheduleResponse) }),
            401: ErrorResponse,
            503: ErrorResponse,
          },
        },
      },
      async (request) => ({
        items: await listSchedules(database.db, producer, request.tenant, { tz: scheduleTimezone, locale: localeOf(request) }),
        endpoints: await listEndpointSchedules(database.db, producer, request.tenant),
      }),
    );
  };
}
