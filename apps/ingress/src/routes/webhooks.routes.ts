import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { JobProducer } from '@integrador/queue';
import type { CrmDatabase } from '@integrador/store';
import {
  createEndpoint,
  deleteWebhookEndpoint,
  deliveryAttempts,
  GATILHOS,
  listEntregas,
  listWebhookEndpoints,
  presentEndpoint,
  recoverDeliveries,
  replaceEndpoint,
  requireEndpoint,
  resendDelivery,
  rotateSecret,
  testWebhookEndpoint,
  WebhookError,
  type WebhookHttpClient,
  type WebhookSettings,
  webhookMessage,
} from '@integrador/webhooks';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { localeOf } from '../i18n';
import { RowId } from '../schemas';

/** What the webhook routes need besides the database and the producer (the test button sends from the ingress). */
export interface WebhookRoutesOptions {
  settings: WebhookSettings;
  http: WebhookHttpClient;
}

const WebhookBody = Type.Object(
  {
    nome: Type.String({ minLength: 1, maxLength: 200 }),
    url: Type.String({ minLength: 1, maxLength: 2000, description: 'fixed http(s) URL: no parameters or placeholders' }),
    gatilhos: Type.Array(Type.Union(GATILHOS.map((g) => Type.Literal(g))), { minItems: 1, maxItems: GATILHOS.length }),
    ativo: Type.Optional(Type.Boolean()),
    cabecalhos: Type.Optional(Type.Record(Type.String({ maxLength: 100 }), Type.String({ maxLength: 2000 }), { maxProperties: 20 })),
    limitePorSegundo: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 10000 }), Type.Null()])),
  },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: RowId('webhook endpoint id') });
const DeliveryParams = Type.Object({ id: RowId('webhook endpoint id'), deliveryId: RowId('delivery id') });

/** Answers the engine's refusals as `{ error: { code, message } }` in the caller's language. */
async function guarded<T>(request: FastifyRequest, reply: FastifyReply, work: () => Promise<T>): Promise<T | FastifyReply> {
  try {
    return await work();
  } catch (err) {
    if (!(err instanceof WebhookError)) throw err;
    return reply.status(err.status).send({ error: { code: err.code, message: webhookMessage(localeOf(request), err.code, err.params) } });
  }
}

const input = (body: Static<typeof WebhookBody>) => ({ ...body, gatilhos: [...body.gatilhos] });

/**
 * Outbound webhooks (seed 004): endpoints of the tenant, the signing secret shown once (creation, rotation), the test
 * button, deliveries with every attempt, resend and recover. Another tenant's ids answer 404.
 */
export function webhooksRoutes(database: CrmDatabase, producer: JobProducer, options: WebhookRoutesOptions): FastifyPluginAsyncTypebox {
  const { db } = database;
  return async (app) => {
    app.post(
      '/webhooks',
      { schema: { tags: ['webhooks'], summary: 'Create a webhook endpoint (its secret is shown once)', body: WebhookBody } },
      (request, reply) =>
        guarded(request, reply, async () => {
          const { id, secret } = await createEndpoint(db, options.settings, request.tenant.empresaId, input(request.body));
          const endpoint = await requireEndpoint(db, request.tenant.empresaId, id);
          return reply.status(201).send({ ...presentEndpoint(endpoint, localeOf(request)), segredo: secret });
        }),
    );
    app.get('/webhooks', { schema: { tags: ['webhooks'], summary: "The tenant's webhook endpoints" } }, async (request) => {
      const list = await listWebhookEndpoints(db, request.tenant.empresaId);
      return { items: list.map((endpoint) => presentEndpoint(endpoint, localeOf(request))) };
    });
    app.get(
      '/webhooks/:id',
      { schema: { tags: ['webhooks'], summary: 'One webhook endpoint (no secrets)', params: IdParams } },
      (request, reply) =>
        guarded(request, reply, async () =>
          presentEndpoint(await requireEndpoint(db, request.tenant.empresaId, request.params.id), localeOf(request)),
        ),
    );
    app.put(
      '/webhooks/:id',
      { schema: { tags: ['webhooks'], summary: "Replace a webhook endpoint's settings", params: IdParams, body: WebhookBody } },
      (request, reply) =>
        guarded(request, reply, async () => {
          await replaceEndpoint(db, request.tenant.empresaId, request.params.id, input(request.body));
          return presentEndpoint(await requireEndpoint(db, request.tenant.empresaId, request.params.id), localeOf(request));
        }),
    );
    app.delete(
      '/webhooks/:id',
      { schema: { tags: ['webhooks'], summary: 'Delete a webhook endpoint', params: IdParams } },
      (request, reply) =>
        guarded(request, reply, async () => {
          if (!(await deleteWebhookEndpoint(db, request.tenant.empresaId, request.params.id)))
            throw new WebhookError('WEBHOOK_NOT_FOUND', 404);
          return reply.status(204).send();
        }),
    );
    app.post(
      '/webhooks/:id/rotate-secret',
      { schema: { tags: ['webhooks'], summary: 'A new signing secret, shown once', params: IdParams } },
      (request, reply) =>
        guarded(request, reply, async () => {
          const rotated = await rotateSecret(db, options.settings, request.tenant.empresaId, request.params.id);
          return { segredo: rotated.secret, anteriorValidoAte: rotated.previousValidUntil };
        }),
    );
    app.post(
      '/webhooks/:id/test',
      { schema: { tags: ['webhooks'], summary: 'Seed 004: send a sample and say what to fix', params: IdParams } },
      (request, reply) =>
        guarded(request, reply, async () => {
          const endpoint = await requireEndpoint(db, request.tenant.empresaId, request.params.id);
          return testWebhookEndpoint(options.http, options.settings, endpoint, localeOf(request));
        }),
    );
    app.get(
      '/webhooks/:id/deliveries',
      {
        schema: {
          tags: ['webhooks'],
          summary: "An endpoint's deliveries",
          params: IdParams,
          querystring: Type.Object({
            status: Type.Optional(Type.Union(['pendente', 'entregue', 'falhou', 'cancelada'].map((s) => Type.Literal(s)))),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          }),
        },
      },
      (request, reply) =>
        guarded(request, reply, async () => {
          await requireEndpoint(db, request.tenant.empresaId, request.params.id);
          return { items: await listEntregas(db, request.tenant.empresaId, request.params.id, request.query) };
        }),
    );
    app.get(
      '/webhooks/:id/deliveries/:deliveryId/attempts',
      { schema: { tags: ['webhooks'], summary: 'Every attempt of a delivery', params: DeliveryParams } },
      (request, reply) =>
        guarded(request, reply, async () => ({
          items: await deliveryAttempts(db, request.tenant.empresaId, request.params.id, request.params.deliveryId),
        })),
    );
    app.post(
      '/webhooks/:id/deliveries/:deliveryId/resend',
      { schema: { tags: ['webhooks'], summary: 'Send one delivery again', params: DeliveryParams } },
      (request, reply) =>
        guarded(request, reply, async () => {
          const jobId = await resendDelivery(db, producer, request.tenant.empresaId, request.params.id, request.params.deliveryId);
          return reply.status(202).send({ queue: 'webhook', jobId });
        }),
    );
    app.post(
      '/webhooks/:id/recover',
      {
        schema: {
          tags: ['webhooks'],
          summary: "Re-send the endpoint's failed deliveries since a time",
          params: IdParams,
          body: Type.Object({ since: Type.String({ format: 'date-time' }) }, { additionalProperties: false }),
        },
      },
      (request, reply) =>
        guarded(request, reply, async () => {
          const count = await recoverDeliveries(db, producer, request.tenant.empresaId, request.params.id, new Date(request.body.since));
          return reply.status(202).send({ recovered: count });
        }),
    );
  };
}
