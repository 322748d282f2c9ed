import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { missingParameters, type Parametros } from '@integrador/integrador';
import type { JobProducer } from '@integrador/queue';
import { type CrmDatabase, findIntegracao } from '@integrador/store';
import { Type } from '@sinclair/typebox';
import { HttpError } from '../http-error';
import { ErrorResponse, IdParams } from '../schemas';
import { acceptGetRun } from './get-run';

const ParameterName = '^[A-Za-z_][A-Za-z0-9_]*$';
const ParameterValue = Type.Union([Type.String({ maxLength: 10000 }), Type.Number(), Type.Boolean(), Type.Null()]);

/** Parameters come in the body and, as seed 001 describes, in the URL's query string (the body wins). */
export const RunBody = Type.Object(
  { parametros: Type.Optional(Type.Record(Type.String({ pattern: ParameterName }), ParameterValue, { maxProperties: 100 })) },
  { additionalProperties: false },
);
export const RunQuery = Type.Record(Type.String({ pattern: ParameterName }), Type.String({ maxLength: 10000 }), { maxProperties: 100 });

/** POST /v1/integrations/:id/run: enqueue a SET push after checking parametros_obrigatorios, or a GET pull (one at a time). */
export function runsRoutes(database: CrmDatabase, producer: JobProducer): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/integrations/:id/run',
      {
        schema: {
          tags: ['integrations'],
          summary:
            'Run a SET (queue set) or GET (queue get) integration; parametros_obrigatorios must all be given. A GET run already waiting or running is answered instead of a second one (deduplicated: true)',
          params: IdParams,
          querystring: RunQuery,
          body: Type.Optional(RunBody),
          response: {
            202: Type.Object({ queue: Type.String(), jobId: Type.String(), deduplicated: Type.Optional(Type.Boolean()) }),
            400: ErrorResponse,
            401: ErrorResponse,
            404: ErrorResponse,
            409: ErrorResponse,
            503: ErrorResponse,
          },
        },
      },
      async (request, reply) => {
        const integracao = await findIntegracao(database.db, request.tenant, request.params.id);
        if (!integracao) throw new HttpError(404, 'NOT_FOUND');
        const id = String(integracao.id);
        if (Number(integracao.ativo) !== 1) throw new HttpError(409, 'INTEGRATION_INACTIVE', { id });
        if ((integracao.link ?? '').trim().toLowerCase() === 'componente') {
          throw new HttpError(409, 'NOT_RUNNABLE', { id, tipo: integracao.tipo_servico, reason: 'componente' });
        }
        if (integracao.tipo_servico !== 'SET' && integracao.tipo_servico !== 'GET') {
          throw new HttpError(409, 'NOT_RUNNABLE', {
            id,
            tipo: integracao.tipo_servico,
            reason: integracao.tipo_servico === 'INFO' ? '/info' : 'SET, GET',
          });
        }
        const parametros: Parametros = { ...request.query, ...(request.body?.parametros ?? {}) };
        const missing = missingParameters(integracao, parametros);
        if (missing.length) throw new HttpError(400, 'MISSING_PARAMETERS', { names: missing.join(', ') });
        const tenant = { empresaId: request.tenant.empresaId, filialId: request.tenant.filialId };
        const payload = { tenant, integracaoId: integracao.id, parametros, trigger: 'api' as const };
        if (integracao.tipo_servico === 'GET') return reply.status(202).send(await acceptGetRun(producer, payload));
        const job = await producer.enqueue('set', 'integration.run', payload);
        return reply.status(202).send({ queue: 'set', jobId: String(job.id) });
      },
    );
  };
}
