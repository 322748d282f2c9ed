import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  admitEndpointSync,
  checkServiceInput,
  type EndpointLimits,
  type RecordError,
  recordErrorMessage,
  statusMessage,
  validateEndpointService,
  validationLimits,
} from '@integrador/integrador';
import type { JobProducer } from '@integrador/queue';
import {
  type CrmDatabase,
  createServicoEndpoint,
  deleteServicoEndpoint,
  findServicoEndpoint,
  listServicosEndpoint,
  ServiceNameTakenError,
  ServiceQuotaExceededError,
  type ServicoEndpoint,
  type ServicoEndpointInput,
  updateServicoEndpoint,
} from '@integrador/store';
import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../http-error';
import { type Locale, localeOf, message } from '../i18n';
import { EnqueuedResponse, ErrorResponse, IdempotencyHeaders } from '../schemas';
import { ServicoBody, ServicoParams, ServicoResponse, SyncBody, ValidationResponse } from './endpoints.schemas';

/** What the endpoint routes need besides the database and the producer: seed 003's limits and the secrets' environment. */
export interface EndpointRoutesOptions {
  limits: EndpointLimits;
  /** Where `${NOME}` secret references resolve (Validate calls the endpoints from the ingress). */
  env: Readonly<Record<string, string | undefined>>;
  /**
   * Validate answers while the caller waits, so it waits at most this long per event type (default 20 s) rather than
   * seed 003's sync limit (3 min); a slower endpoint is reported as TIMEOUT — a sync still allows it the full limit.
   */
  validateTimeoutMs?: number;
}

const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse, 503: ErrorResponse };

function toInput(body: Static<typeof ServicoBody>): ServicoEndpointInput {
  return {
    nome: body.nome.trim(),
    urlBase: body.urlBase.trim(),
    autenticacao: body.autenticacao,
    usuario: body.usuario ?? null,
    segredoRef: body.segredo ?? null,
    ativo: body.ativo ?? true,
    // A full update: a body without cron leaves the service without a schedule, as without usuario or segredo.
    cron: body.cron?.trim().replace(/\s+/g, ' ') || null,
    eventos: body.eventos.map((e) => ({ tipo: e.tipo, url: e.url.trim() })),
  };
}

function localizedErrors(locale: Locale, list: unknown): unknown {
  if (!Array.isArray(list)) return list;
  return (list as RecordError[]).map((e) => ({ index: e.index, field: e.field, code: e.code, message: recordErrorMessage(locale, e) }));
}

/** A service as the API shows it: the reason and the last reports' errors in the caller's language. */
function present(locale: Locale, service: ServicoEndpoint) {
  const { segredoRef, statusMotivo, empresaId: _empresa, ...rest } = service;
  return {
    ...rest,
    segredo: segredoRef,
    statusMotivo: statusMotivo ? { code: statusMotivo.code, message: statusMessage(locale, statusMotivo.code, statusMotivo.params) } : null,
    eventos: service.eventos.map(({ id: _id, ultimoRelatorio, ...evento }) => {
      const report = ultimoRelatorio as Record<string, unknown> | null;
      const falha = report?.falha as { code: string; params: Record<string, string | number> } | undefined;
      return {
        ...evento,
        ultimoRelatorio:
          report === null
            ? null
            : {
                ...report,
                ...(report.erros ? { erros: localizedErrors(locale, report.erros) } : {}),
                ...(falha ? { falha: { code: falha.code, message: statusMessage(locale, falha.code, falha.params) } } : {}),
              },
      };
    }),
  };
}

/** 400 naming the field for the rules JSON Schema cannot state (URL origins, auth fields, secret references). */
function refuseInput(request: FastifyRequest, reply: FastifyReply, input: ServicoEndpointInput): FastifyReply | null {
  const problem = checkServiceInput(input);
  if (!problem) return null;
  const locale = localeOf(request);
  const text = message(locale, 'VALIDATION', { field: problem.field, message: statusMessage(locale, problem.code, problem.params) });
  return reply.status(400).send({ error: { code: 'VALIDATION_FAILED', message: text, field: problem.field } });
}

function asHttpError(err: unknown): unknown {
  if (err instanceof ServiceQuotaExceededError)
    return new HttpError(409, 'SERVICE_QUOTA_EXCEEDED', { limit: String(err.limit) }, { cause: err });
  if (err instanceof ServiceNameTakenError) return new HttpError(409, 'SERVICE_NAME_TAKEN', { nome: err.nome }, { cause: err });
  return err;
}

async function requireService(database: CrmDatabase, request: FastifyRequest, id: number): Promise<ServicoEndpoint> {
  const service = await findServicoEndpoint(database.db, request.tenant, id);
  // Another tenant's service is indistinguishable from a missing one.
  if (!service) throw new HttpError(404, 'NOT_FOUND');
  return service;
}

/** Seed 003's JSON endpoint services of the tenant: CRUD, Validate and on-demand syncs (queue get). */
export function endpointsRoutes(database: CrmDatabase, producer: JobProducer, options: EndpointRoutesOptions): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['endpoints'];

    app.post(
      '/endpoints',
      {
        schema: {
          tags,
          summary: 'Create a JSON endpoint service (within the contract limit)',
          body: ServicoBody,
          response: { 201: ServicoResponse, ...errors },
        },
      },
      async (request, reply) => {
        const input = toInput(request.body);
        if (refuseInput(request, reply, input)) return reply;
        try {
          const created = await createServicoEndpoint(database, request.tenant, input);
          return reply.status(201).send(present(localeOf(request), created));
        } catch (err) {
          throw asHttpError(err);
        }
      },
    );

    app.get(
      '/endpoints',
      {
        schema: {
          tags,
          summary: "The tenant's JSON endpoint services",
          response: { 200: Type.Object({ items: Type.Array(ServicoResponse) }), 401: ErrorResponse },
        },
      },
      async (request) => {
        const services = await listServicosEndpoint(database.db, request.tenant);
        return { items: services.map((s) => present(localeOf(request), s)) };
      },
    );

    app.get(
      '/endpoints/:id',
      {
        schema: {
          tags,
          summary: 'One service with its status and last reports',
          params: ServicoParams,
          response: { 200: ServicoResponse, ...errors },
        },
      },
      async (request) => present(localeOf(request), await requireService(database, request, request.params.id)),
    );

    app.put(
      '/endpoints/:id',
      {
        schema: {
          tags,
          summary: 'Replace a service’s settings',
          params: ServicoParams,
          body: ServicoBody,
          response: { 200: ServicoResponse, ...errors },
        },
      },
      async (request, reply) => {
        const input = toInput(request.body);
        if (refuseInput(request, reply, input)) return reply;
        let updated: ServicoEndpoint | undefined;
        try {
          updated = await updateServicoEndpoint(database.db, request.tenant, request.params.id, input);
        } catch (err) {
          throw asHttpError(err);
        }
        if (!updated) throw new HttpError(404, 'NOT_FOUND');
        return present(localeOf(request), updated);
      },
    );

    app.delete(
      '/endpoints/:id',
      { schema: { tags, summary: 'Delete a service', params: ServicoParams, response: { 204: Type.Null(), ...errors } } },
      async (request, reply) => {
        if (!(await deleteServicoEndpoint(database.db, request.tenant, request.params.id))) throw new HttpError(404, 'NOT_FOUND');
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/endpoints/:id/validate',
      {
        // Changes nothing: its answer is not kept for Idempotency-Key replays (they run it again).
        config: { idempotentAnswer: false },
        schema: {
          tags,
          summary:
            'Seed 003 "Validar": fetch each event type’s URL and check its records, writing nothing (each URL waited for at most 20 s)',
          params: ServicoParams,
          response: { 200: ValidationResponse, ...errors },
        },
      },
      async (request) => {
        const service = await requireService(database, request, request.params.id);
        const locale = localeOf(request);
        const limits = validationLimits(options.limits, options.validateTimeoutMs);
        const result = await validateEndpointService({ database, limits, env: options.env }, service);
        return {
          ok: result.ok,
          eventos: result.eventos.map(({ params, erros, ...evento }) => ({
            ...evento,
            message: statusMessage(locale, evento.code, params),
            ...(erros ? { erros: localizedErrors(locale, erros) as Static<typeof ValidationResponse>['eventos'][number]['erros'] } : {}),
          })),
        };
      },
    );

    app.post(
      '/endpoints/:id/sync',
      {
        schema: {
          tags,
          summary: 'Sync a service now (queue get, job endpoint.sync); follow it with GET /v1/jobs/get/:jobId',
          params: ServicoParams,
          headers: IdempotencyHeaders,
          body: SyncBody,
          response: { 202: EnqueuedResponse, ...errors },
        },
        // A POST without a body (curl -X POST …/sync) means "every event type".
        preValidation: async (request) => {
          request.body ??= {};
        },
      },
      async (request, reply) => {
        // The engine's rule (admitEndpointSync): another tenant's service is missing, an inactive one a 409 in its words.
        const service = await admitEndpointSync(database.db, request.tenant, request.params.id);
        if (!service) throw new HttpError(404, 'NOT_FOUND');
        const tenant = { empresaId: request.tenant.empresaId, filialId: request.tenant.filialId };
        const tipo = request.body.tipo;
        const { job, deduplicated } = await producer.enqueueIdempotent(
          'get',
          'endpoint.sync',
          { tenant, servicoId: service.id, ...(tipo ? { tipo } : {}), trigger: 'api' },
          { tenant, scope: `sync-s${service.id}-${tipo ?? 'all'}`, key: request.headers['idempotency-key'] },
        );
        return reply.status(202).send({ queue: 'get', jobId: String(job.id), deduplicated });
      },
    );
  };
}
