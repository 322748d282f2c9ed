import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { JobProducer } from '@integrador/queue';
import type { CrmDatabase } from '@integrador/store';
import {
  circuitStates,
  createEndpoint,
  deliveryAttempts,
  endpointOfDeliveries,
  listWebhookEndpoints,
  patchEndpoint,
  presentEndpoint,
  presentEntregas,
  recoverDeliveries,
  removeEndpoint,
  replaceEndpoint,
  requireChangeableEndpoint,
  requireEndpoint,
  resendDelivery,
  rotateSecret,
  testWebhookEndpoint,
  type WebhookEndpoint,
  type WebhookHttpClient,
  type WebhookSettings,
} from '@integrador/webhooks';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { localeOf } from '../i18n';
import { ErrorResponse } from '../schemas';
import {
  AttemptResponse,
  CreatedWebhookResponse,
  DeliveriesQuery,
  DeliveryParams,
  DeliveryResponse,
  IdParams,
  RecoverBody,
  RecoverResponse,
  ResendResponse,
  RotatedSecretResponse,
  RotateSecretBody,
  WebhookBody,
  WebhookEndpointResponse,
  WebhookPatchBody,
  WebhookTestResponse,
} from './webhooks.schemas';

/** What the webhook routes need besides the database and the producer (the test button sends from the ingress). */
export interface WebhookRoutesOptions {
  settings: WebhookSettings;
  http: WebhookHttpClient;
}

/** 400 for a refused id or field (the schema's or the engine's URL, gatilho and header checks), 401, 404 (another tenant's ids too). */
const errors = { 400: ErrorResponse, 401: ErrorResponse, 404: ErrorResponse };
/** The reads' answers, and a change's: also 403 FILIAL_SCOPE (endpoints belong to the whole empresa). */
const changeErrors = { ...errors, 403: ErrorResponse };

const input = (body: Static<typeof WebhookBody>) => ({ ...body, gatilhos: [...body.gatilhos] });

/**
 * Outbound webhooks (seed 004): endpoints of the tenant, the signing secret shown once (creation, rotation), the test
 * button, deliveries with every attempt, resend and recover. Another tenant's ids answer 404. Endpoints belong to the
 * whole empresa: a key bound to a filial reads them, and every change or action is refused by the engine with 403
 * FILIAL_SCOPE (the filial rule of packages/store).
 */
export function webhooksRoutes(
  database: CrmDatabase,
  producer: JobProducer,
  options: WebhookRoutesOptions,
  keyPrefix: string,
): FastifyPluginAsyncTypebox {
  const { db } = database;
  /**
   * Endpoints as presentEndpoint shows them, with their circuit breaker (`circuito`) read from Redis in one round trip;
   * null when Redis does not answer (the endpoint itself is still shown).
   */
  const circuitsOf = (ids: number[]) =>
    producer
      .read('read webhook circuits', () => circuitStates(producer.connection, keyPrefix, ids, options.settings.breakerFailures))
      .catch(() => null);
  const presentAll = async (endpoints: WebhookEndpoint[], request: FastifyRequest) => {
    const circuits = await circuitsOf(endpoints.map((e) => e.id));
    return endpoints.map((endpoint, i) => ({
      ...presentEndpoint(endpoint, localeOf(request), options.settings),
      circuito: circuits?.[i] ?? null,
    }));
  };
  const present = async (empresaId: number, id: number, request: FastifyRequest) =>
    (await presentAll([await requireEndpoint(db, empresaId, id)], request))[0];
  return async (app) => {
    app.post(
      '/webhooks',
      {
        schema: {
          tags: ['webhooks'],
          summary: 'Create a webhook endpoint (its secret is shown once)',
          body: WebhookBody,
          response: { 201: CreatedWebhookResponse, 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse },
        },
      },
      async (request, reply) => {
        const { id, secret } = await createEndpoint(db, options.settings, request.tenant, input(request.body));
        const endpoint = await requireEndpoint(db, request.tenant.empresaId, id);
        return reply.status(201).send({ ...presentEndpoint(endpoint, localeOf(request), options.settings), segredo: secret });
      },
    );
    app.get(
      '/webhooks',
      {
        schema: {
          tags: ['webhooks'],
          summary: "The tenant's webhook endpoints",
          response: { 200: Type.Object({ items: Type.Array(WebhookEndpointResponse) }), 401: ErrorResponse },
        },
      },
      async (request) => {
        return { items: await presentAll(await listWebhookEndpoints(db, request.tenant.empresaId), request) };
      },
    );
    app.get(
      '/webhooks/:id',
      {
        schema: {
          tags: ['webhooks'],
          summary: 'One webhook endpoint (no secrets)',
          params: IdParams,
          response: { 200: WebhookEndpointResponse, ...errors },
        },
      },
      async (request) => present(request.tenant.empresaId, request.params.id, request),
    );
    app.put(
      '/webhooks/:id',
      {
        schema: {
          tags: ['webhooks'],
          summary:
            "Replace a webhook endpoint's settings (omitted ativo keeps its state; omitted cabecalhos keep the stored ones while the URL keeps its origin, else 400 WEBHOOK_HEADERS_REQUIRED; {} removes them)",
          params: IdParams,
          body: WebhookBody,
          response: { 200: WebhookEndpointResponse, ...changeErrors },
        },
      },
      async (request) => {
        await replaceEndpoint(db, options.settings, request.tenant, request.params.id, input(request.body));
        return present(request.tenant.empresaId, request.params.id, request);
      },
    );
    app.patch(
      '/webhooks/:id',
      {
        schema: {
          tags: ['webhooks'],
          summary:
            'Change some of a webhook endpoint\'s settings (e.g. {"ativo": true} re-enables it); the others keep their stored values',
          params: IdParams,
          body: WebhookPatchBody,
          response: { 200: WebhookEndpointResponse, ...changeErrors },
        },
      },
      async (request) => {
        const { gatilhos, ...rest } = request.body;
        await patchEndpoint(db, options.settings, request.tenant, request.params.id, {
          ...rest,
          ...(gatilhos === undefined ? {} : { gatilhos: [...gatilhos] }),
        });
        return present(request.tenant.empresaId, request.params.id, request);
      },
    );
    app.delete(
      '/webhooks/:id',
      {
        schema: {
          tags: ['webhooks'],
          summary: 'Delete a webhook endpoint',
          params: IdParams,
          response: { 204: Type.Null(), ...changeErrors },
        },
      },
      async (request, reply) => {
        await removeEndpoint(db, request.tenant, request.params.id);
        return reply.status(204).send(null);
      },
    );
    app.post(
      '/webhooks/:id/rotate-secret',
      {
        schema: {
          tags: ['webhooks'],
          summary:
            'A new signing secret, shown once; the previous one signs beside it for the grace period (409 while one runs), or with revogarAnterior stops signing now',
          params: IdParams,
          body: RotateSecretBody,
          response: { 200: RotatedSecretResponse, ...changeErrors, 409: ErrorResponse, 503: ErrorResponse },
        },
      },
      async (request) => {
        const revokePrevious = request.body.revogarAnterior === true;
        const rotated = await rotateSecret(db, options.settings, request.tenant, request.params.id, { revokePrevious });
        return { segredo: rotated.secret, anteriorValidoAte: rotated.previousValidUntil };
      },
    );
    app.post(
      '/webhooks/:id/test',
      {
        // A probe: its answer (what the receiver said) is not kept for Idempotency-Key replays, which send again.
        config: { idempotentAnswer: false },
        schema: {
          tags: ['webhooks'],
          summary: 'Seed 004: send a sample and say what to fix',
          params: IdParams,
          response: { 200: WebhookTestResponse, ...changeErrors, 503: ErrorResponse },
        },
      },
      async (request) => {
        // Sends to the endpoint's receiver on the empresa's behalf: an action, like a resend.
        const endpoint = await requireChangeableEndpoint(db, request.tenant, request.params.id);
        return testWebhookEndpoint(options.http, options.settings, endpoint, localeOf(request));
      },
    );
    app.get(
      '/webhooks/:id/deliveries',
      {
        schema: {
          tags: ['webhooks'],
          summary: "An endpoint's deliveries (a deleted endpoint's too, each marked endpoint_excluido, until the retention purge)",
          params: IdParams,
          querystring: DeliveriesQuery,
          response: { 200: Type.Object({ items: Type.Array(DeliveryResponse) }), ...errors },
        },
      },
      async (request) => {
        const { empresaId } = request.tenant;
        // A deleted endpoint's deliveries are read too, marked endpoint_excluido (404 only for an id the tenant never had).
        const { deleted } = await endpointOfDeliveries(db, empresaId, request.params.id);
        // A pending delivery held by the endpoint's open breaker shows when the breaker lets it go (null: Redis silent).
        const [circuit] = deleted ? [] : ((await circuitsOf([request.params.id])) ?? []);
        return { items: await presentEntregas(db, empresaId, request.params.id, request.query, localeOf(request), circuit) };
      },
    );
    app.get(
      '/webhooks/:id/deliveries/:deliveryId/attempts',
      {
        schema: {
          tags: ['webhooks'],
          summary: 'Every attempt of a delivery',
          params: DeliveryParams,
          response: { 200: Type.Object({ items: Type.Array(AttemptResponse) }), ...errors },
        },
      },
      async (request) => ({
        items: await deliveryAttempts(db, request.tenant.empresaId, request.params.id, request.params.deliveryId),
      }),
    );
    app.post(
      '/webhooks/:id/deliveries/:deliveryId/resend',
      {
        schema: {
          tags: ['webhooks'],
          summary: 'Send one delivery again (409 WEBHOOK_DISABLED while the endpoint is disabled, 409 WEBHOOK_DELETED once it was deleted)',
          params: DeliveryParams,
          response: { 202: ResendResponse, ...changeErrors, 409: ErrorResponse, 503: ErrorResponse },
        },
      },
      async (request, reply) => {
        const jobId = await resendDelivery(db, producer, request.tenant, request.params.id, request.params.deliveryId);
        return reply.status(202).send({ queue: 'webhook', jobId });
      },
    );
    app.post(
      '/webhooks/:id/recover',
      {
        schema: {
          tags: ['webhooks'],
          summary:
            "Re-send the endpoint's deliveries since a time that failed or were cancelled by its disabling (409 while it is disabled)",
          params: IdParams,
          body: RecoverBody,
          response: { 202: RecoverResponse, ...changeErrors, 409: ErrorResponse, 503: ErrorResponse },
        },
      },
      async (request, reply) => {
        const recovered = await recoverDeliveries(db, producer, request.tenant, request.params.id, new Date(request.body.since));
        return reply.status(202).send(recovered);
      },
    );
  };
}
