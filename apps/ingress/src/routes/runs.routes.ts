import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ConnectionsRegistry } from '@integrador/connections';
import type { Parametros } from '@integrador/integrador';
import { enqueueIntegrationRun } from '@integrador/integrador';
import type { JobProducer } from '@integrador/queue';
import type { CrmDatabase } from '@integrador/store';
import { Type } from '@sinclair/typebox';
import { Deduplicated, ErrorResponse, IdempotencyHeaders, IdParams } from '../schemas';

const ParameterName = '^[A-Za-z_][A-Za-z0-9_]*$';
const ParameterValue = Type.Union([Type.String({ maxLength: 10000 }), Type.Number(), Type.Boolean(), Type.Null()]);

/** Parameters come in the body and, as seed 001 describes, in the URL's query string (the body wins). */
export const RunBody = Type.Object(
  { parametros: Type.Optional(Type.Record(Type.String({ pattern: ParameterName }), ParameterValue, { maxProperties: 100 })) },
  { additionalProperties: false },
);
export const RunQuery = Type.Record(Type.String({ pattern: ParameterName }), Type.String({ maxLength: 10000 }), { maxProperties: 100 });

/** One step of an enqueued run (the integration and each prerequisite), in run order. */
export const RunStep = Type.Object({ integracaoId: Type.Integer(), nome: Type.String(), queue: Type.String(), jobId: Type.String() });

/**
 * POST /v1/integrations/:id/run: enqueue a SET push or a GET pull after checking parametros_obrigatorios, together with the
 * integrations it depends on (dependente/depende_de) as one flow, prerequisites first.
 */
export function runsRoutes(database: CrmDatabase, producer: JobProducer, connections: ConnectionsRegistry): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/integrations/:id/run',
      {
        schema: {
          tags: ['integrations'],
          summary:
            'Run a SET (queue set) or GET (queue get, one run at a time) integration with its prerequisites; parametros_obrigatorios must all be given',
          params: IdParams,
          querystring: RunQuery,
          headers: IdempotencyHeaders,
          body: Type.Optional(RunBody),
          response: {
            202: Type.Object({
              queue: Type.String(),
              jobId: Type.String({ description: "the triggered integration's job (the flow's last step)" }),
              steps: Type.Array(RunStep, { description: 'every job of the run in order; one when there are no prerequisites' }),
              deduplicated: Deduplicated,
            }),
            400: ErrorResponse,
            401: ErrorResponse,
            404: ErrorResponse,
            409: ErrorResponse,
            422: ErrorResponse,
            503: ErrorResponse,
          },
        },
      },
      async (request, reply) => {
        const parametros: Parametros = { ...request.query, ...(request.body?.parametros ?? {}) };
        const tenant = { empresaId: request.tenant.empresaId, filialId: request.tenant.filialId };
        // Admission (the engine's admitRun) refuses with coded errors; the error handler's table answers them.
        const run = await enqueueIntegrationRun(database, producer, {
          tenant,
          integracaoId: request.params.id,
          parametros,
          trigger: 'api',
          idempotencyKey: request.headers['idempotency-key'],
          connections,
        });
        return reply.status(202).send(run);
      },
    );
  };
}
