import { Nullable } from '@integrador/jobs';
import { ENTREGA_STATUSES, GATILHOS } from '@integrador/webhooks';
import { Type } from '@sinclair/typebox';
import { RowId, Text, ZonedDateTime } from '../schemas';

// The answers of the webhook routes. A response schema is also how Fastify serializes (fast-json-stringify drops every
// property not declared here), so each one lists every field the engine's functions return today; every timestamp is
// ISO 8601 in UTC with its `Z`, on every dialect (the engine turns SQLite's zone-less UTC text into it).

/** One of the hub's timestamps: ISO 8601 in UTC, e.g. 2026-12-05T12:35:16.000Z. */
const Timestamp = (description?: string) => Type.String({ description: `${description ? `${description}; ` : ''}ISO 8601 in UTC (…Z)` });

export const WebhookBody = Type.Object(
  {
    nome: Text({ minLength: 1, maxLength: 200 }),
    url: Text({ minLength: 1, maxLength: 2000, description: 'fixed http(s) URL: no parameters or placeholders' }),
    gatilhos: Type.Array(Type.Union(GATILHOS.map((g) => Type.Literal(g))), { minItems: 1, maxItems: GATILHOS.length }),
    ativo: Type.Optional(
      Type.Boolean({ description: 'true when omitted on POST; omitted on PUT keeps the endpoint enabled or disabled as it is' }),
    ),
    cabecalhos: Type.Optional(
      Type.Record(Type.String({ maxLength: 100 }), Text({ maxLength: 2000 }), {
        maxProperties: 20,
        description:
          'extra headers sent with every delivery (values write-only); on PUT, omitted keeps the stored ones (refused with 400 WEBHOOK_HEADERS_REQUIRED when the URL moves to another scheme, host or port) and {} removes them',
      }),
    ),
    limitePorSegundo: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 10000 }), Type.Null()])),
  },
  { additionalProperties: false },
);

/** PATCH: any of WebhookBody's settings, at least one; what is left out keeps its stored value. */
export const WebhookPatchBody = Type.Partial(WebhookBody, {
  additionalProperties: false,
  minProperties: 1,
  description: 'the settings to change (at least one), each checked as on PUT; the others keep their stored values',
});

export const IdParams = Type.Object({ id: RowId('webhook endpoint id') });
export const DeliveryParams = Type.Object({ id: RowId('webhook endpoint id'), deliveryId: RowId('delivery id') });

export const DeliveriesQuery = Type.Object({
  status: Type.Optional(Type.Union(ENTREGA_STATUSES.map((s) => Type.Literal(s)))),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
});

// An unreadable `since` is refused naming the accepted forms with an example (ZonedDateTime), not ajv's "must match format".
export const RecoverBody = Type.Object(
  { since: ZonedDateTime('send again the deliveries created at or after this time (ISO 8601 with its time zone)') },
  { additionalProperties: false },
);

/** An endpoint as presentEndpoint shows it: never a secret, header names without their values. */
export const WebhookEndpointResponse = Type.Object({
  id: Type.Integer(),
  nome: Type.String(),
  url: Type.String(),
  gatilhos: Type.Array(Type.String()),
  ativo: Type.Boolean(),
  cabecalhos: Type.Array(Type.String(), { description: 'the names of the extra headers sent (their values are never shown)' }),
  limitePorSegundo: Nullable(Type.Integer()),
  falhandoDesde: Nullable(Type.String({ description: 'when the current run of failed deliveries began' })),
  desativado: Nullable(
    Type.Object(
      { code: Type.String(), message: Type.String() },
      { description: 'why the engine disabled it (GONE, FAILING_TOO_LONG), in the request language' },
    ),
  ),
  bloqueado: Nullable(
    Type.Object(
      { code: Type.String(), message: Type.String() },
      {
        description:
          'why the hub refuses every delivery to it as it is (HTTPS_REQUIRED: an http:// URL while WEBHOOK_HTTPS_ONLY is set), in the request language',
      },
    ),
  ),
  rotacaoAte: Nullable(Type.String({ description: 'until when the previous secret still signs beside the new one' })),
  criadoEm: Type.String(),
  circuito: Type.Optional(
    Nullable(
      Type.Object(
        {
          estado: Type.Union([Type.Literal('fechado'), Type.Literal('aberto'), Type.Literal('meio_aberto')], {
            description:
              'fechado: deliveries go; aberto: they wait until `ate` without using attempts (pending, no new attempt); meio_aberto: the next delivery is a probe',
          }),
          aberto: Type.Boolean(),
          ate: Nullable(Timestamp('while aberto, when the next delivery may go (as a probe)')),
          falhasSeguidas: Type.Integer({ description: 'failures in a row the breaker counts (it opens at WEBHOOK_BREAKER_FAILURES)' }),
        },
        { description: "the endpoint's circuit breaker now (GET, PUT, PATCH); null when Redis did not answer" },
      ),
    ),
  ),
});

/** The creation's answer: the endpoint and its signing secret, shown this once. */
export const CreatedWebhookResponse = Type.Composite([
  WebhookEndpointResponse,
  Type.Object({ segredo: Type.String({ description: 'the signing secret (whsec_…), shown only here' }) }),
]);

/** A rotation keeps the previous secret signing for the grace period; `revogarAnterior` drops it now (a leaked secret). */
export const RotateSecretBody = Type.Object(
  {
    revogarAnterior: Type.Optional(
      Type.Boolean({
        description:
          'true: the previous secrets stop signing now, no grace period, even inside one (a leaked secret); the receiver must switch to the new secret at once',
      }),
    ),
  },
  { additionalProperties: false },
);

export const RotatedSecretResponse = Type.Object({
  segredo: Type.String({ description: 'the new signing secret, shown only here' }),
  anteriorValidoAte: Nullable(
    Type.String({
      description: 'the previous secret keeps signing beside it until then; null when it was revoked at once (revogarAnterior)',
    }),
  ),
});

export const WebhookTestResponse = Type.Object({
  ok: Type.Boolean(),
  code: Type.String({
    description:
      'OK, CONNECTION_REFUSED, DNS_FAILED, TLS_FAILED, TIMEOUT, REDIRECT, CLIENT_ERROR, SIGNATURE_REJECTED (401/403), SERVER_ERROR…',
  }),
  message: Type.String({ description: 'what happened and what to fix, in the request language' }),
  status: Nullable(Type.Integer({ description: "the receiver's HTTP status; null when it did not answer" })),
  durationMs: Type.Integer(),
});

/** One (change, endpoint) delivery, newest first (seed 004 column names). */
export const DeliveryResponse = Type.Object({
  id: Type.Integer(),
  status: Type.String({ description: 'pendente, entregue, falhou or cancelada' }),
  tentativas: Type.Integer(),
  ultimo_status_http: Nullable(Type.Integer()),
  ultimo_erro: Nullable(
    Type.String({ description: "the last attempt's error as recorded; for a cancelada one, why, in the request language" }),
  ),
  motivo: Nullable(
    Type.Union(
      [
        Type.Literal('ENDPOINT_DISABLED'),
        Type.Literal('ENDPOINT_DELETED'),
        Type.Literal('HTTPS_REQUIRED'),
        Type.Literal('PAYLOAD_TOO_LARGE'),
        Type.Literal('ENDPOINT_GONE'),
        Type.Literal('SIGNATURE_REJECTED'),
      ],
      {
        description:
          'why a cancelada delivery was cancelled, as a code (recover re-sends ENDPOINT_DISABLED ones); HTTPS_REQUIRED when WEBHOOK_HTTPS_ONLY refused its http:// endpoint; PAYLOAD_TOO_LARGE when its body is over WEBHOOK_MAX_PAYLOAD_BYTES; ENDPOINT_GONE when its 410 disabled the endpoint; SIGNATURE_REJECTED when its last attempt was answered 401/403 (the receiver may reject the signature: check its signing secret, after a rotation the new one); null otherwise',
      },
    ),
  ),
  proxima_tentativa_em: Nullable(
    Timestamp("when the next automatic attempt is due (while the endpoint's circuit breaker holds it, when the breaker lets it go)"),
  ),
  aguardando: Nullable(
    Type.Literal('circuito', { description: "circuito: a pending delivery held by the endpoint's open circuit breaker (no attempt used)" }),
  ),
  entregue_em: Nullable(Timestamp()),
  criado_em: Timestamp(),
  gatilho: Type.String(),
  registro_id: Type.String(),
  webhook_id: Type.String({ description: 'the message id (webhook-id header), the same on every attempt' }),
  endpoint_excluido: Type.Boolean({
    description: 'true when the endpoint was deleted: its deliveries stay readable until the retention purge; nothing is sent to it',
  }),
});

/** One HTTP attempt of a delivery, in order: secrets in the headers masked, the answer's body truncated. */
export const AttemptResponse = Type.Object({
  id: Type.Integer(),
  entrega_id: Type.Integer(),
  numero: Type.Integer(),
  origem: Type.String({ description: 'automatica or manual (a resend)' }),
  cabecalhos: Type.Record(Type.String(), Type.String(), { description: 'the request headers sent, signatures and secrets masked' }),
  status_http: Nullable(Type.Integer()),
  resposta: Nullable(Type.String()),
  duracao_ms: Type.Integer(),
  classe_erro: Nullable(Type.String()),
  erro: Nullable(Type.String()),
  criado_em: Timestamp(),
});

export const ResendResponse = Type.Object({ queue: Type.Literal('webhook'), jobId: Type.String() });
export const RecoverResponse = Type.Object({
  recovered: Type.Integer({ description: 'how many deliveries were sent again (falhou + cancelada)' }),
  falhou: Type.Integer({ description: 'of them, the ones that had failed' }),
  cancelada: Type.Integer({ description: 'of them, the ones cancelled because the endpoint was disabled' }),
});
