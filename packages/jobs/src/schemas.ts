import { type Static, type TSchema, Type } from '@sinclair/typebox';

/** A schema or null (a nullable column, an absent value): the one helper every JSON answer schema uses (ingress, dashboard). */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/**
 * Who a job belongs to. Every payload carries it so workers, metrics and per-tenant
 * limits can tell tenants apart without reading the database.
 */
export const TenantRef = Type.Object(
  {
    empresaId: Type.Integer({ minimum: 1 }),
    filialId: Nullable(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);
export type TenantRef = Static<typeof TenantRef>;

/**
 * system.ping: a no-op that proves the path ingress → Redis → worker end to end.
 * sleepMs lets operators (and the shutdown tests) hold a job in flight; capped so a ping never wedges a slot.
 */
export const PingPayload = Type.Object(
  {
    tenant: TenantRef,
    sleepMs: Type.Integer({ minimum: 0, maximum: 60000, default: 0 }),
    note: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type PingPayload = Static<typeof PingPayload>;

/** What a ping job returns: when and by which process it ran. */
export const PingResult = Type.Object({ pong: Type.Literal(true), pid: Type.Integer(), sleptMs: Type.Integer(), at: Type.String() });
export type PingResult = Static<typeof PingResult>;

/**
 * Where an integration.run sits in a dependency flow. Only present on flow nodes: the worker then checks
 * that `prerequisite` (its one child: flows are linear chains) completed and reads the values it produced.
 */
export const FlowStep = Type.Object(
  {
    /** The integracao whose run was asked for (the flow's last step). */
    triggeredIntegracaoId: Type.Integer({ minimum: 1 }),
    step: Type.Integer({ minimum: 1 }),
    steps: Type.Integer({ minimum: 2 }),
    prerequisite: Type.Optional(
      Type.Object(
        { queue: Type.String({ maxLength: 50 }), jobId: Type.String({ maxLength: 100 }), integracaoId: Type.Integer({ minimum: 1 }) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type FlowStep = Static<typeof FlowStep>;

/**
 * integration.run: run one integracao row for a tenant. Only ids and the caller's parameters travel
 * (job data sits in Redis in clear text): the worker loads the configuration and secrets itself.
 * parametros are the request's values for parametros_obrigatorios and #vars# (URL-style: text or numbers).
 */
export const IntegrationRunPayload = Type.Object(
  {
    tenant: TenantRef,
    integracaoId: Type.Integer({ minimum: 1 }),
    parametros: Type.Record(
      Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', maxLength: 100 }),
      Type.Union([Type.String({ maxLength: 10000 }), Type.Number(), Type.Boolean(), Type.Null()]),
      {
        default: {},
        maxProperties: 100,
      },
    ),
    trigger: Type.Union([
      Type.Literal('api'),
      Type.Literal('cli'),
      Type.Literal('schedule'),
      Type.Literal('dependency'),
      Type.Literal('event'),
    ]),
    flow: Type.Optional(FlowStep),
  },
  { additionalProperties: false },
);
export type IntegrationRunPayload = Static<typeof IntegrationRunPayload>;

/**
 * endpoint.sync (seed 003): fetch a tenant's JSON endpoint service and write its contatos / eventos into the CRM.
 * Only ids travel: the worker loads the service and resolves its secret reference itself. tipo limits the run to one
 * event type (both, contato first, when absent).
 */
export const EndpointSyncPayload = Type.Object(
  {
    tenant: TenantRef,
    servicoId: Type.Integer({ minimum: 1 }),
    tipo: Type.Optional(Type.Union([Type.Literal('contato'), Type.Literal('evento')])),
    trigger: Type.Union([Type.Literal('api'), Type.Literal('cli'), Type.Literal('schedule')]),
  },
  { additionalProperties: false },
);
export type EndpointSyncPayload = Static<typeof EndpointSyncPayload>;

/**
 * Progress of a GET pull (integration.run on the get queue), reported with job.updateProgress after each committed
 * chunk: counts only (never row values), so the API and the CLI's progress bar can show them live.
 */
export const GetRunProgress = Type.Object(
  {
    phase: Type.Union([Type.Literal('lendo'), Type.Literal('gravando'), Type.Literal('reconciliando'), Type.Literal('concluido')]),
    rowsRead: Type.Integer({ minimum: 0 }),
    rowsWritten: Type.Integer({ minimum: 0 }),
    chunks: Type.Integer({ minimum: 0 }),
    startedAt: Type.String(),
  },
  { additionalProperties: false },
);
export type GetRunProgress = Static<typeof GetRunProgress>;

/**
 * What a GET pull returns. Counts are this job's totals across its attempts (a resumed run adds to them); cursor
 * is the saved cursor value after the run (ISO text for dates), null for a full refresh without a cursor column.
 */
export const GetRunResult = Type.Object(
  {
    integracaoId: Type.Integer({ minimum: 1 }),
    mode: Type.Union([Type.Literal('full'), Type.Literal('incremental')]),
    /** A reconcile pass (whole source read, every row re-stamped with a new generation, rows gone marked); absent in results of older versions. */
    reconcile: Type.Optional(Type.Boolean()),
    rowsRead: Type.Integer({ minimum: 0 }),
    rowsWritten: Type.Integer({ minimum: 0 }),
    rowsSkipped: Type.Integer({ minimum: 0 }),
    rowsMarkedDeleted: Type.Integer({ minimum: 0 }),
    /** Rows (of rowsSkipped) another row of the same chunk had the key of: the later one, by cursor, was written. Absent when none. */
    rowsDuplicateKey: Type.Optional(Type.Integer({ minimum: 0 })),
    cursor: Nullable(Type.String()),
    durationMs: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type GetRunResult = Static<typeof GetRunResult>;

/**
 * webhook.deliver: one (change, endpoint) delivery. Only ids travel (the payload was built once per change and stored
 * in webhook_mensagens, so a 100k backlog costs Redis little); `manual` marks a resend (one attempt, no retries).
 */
export const WebhookDeliverPayload = Type.Object(
  {
    tenant: TenantRef,
    entregaId: Type.Integer({ minimum: 1 }),
    /** The delivery's endpoint, so its flow control can refuse the job before any database read. */
    endpointId: Type.Optional(Type.Integer({ minimum: 1 })),
    manual: Type.Optional(Type.Boolean()),
    /** A recover's job: the recover's id, which the delivery's row must name for the job to run. */
    recuperacao: Type.Optional(Type.String({ pattern: '^[0-9a-f]{32}$' })),
    /**
     * The delivery's attempt number an operator's resend asked for (a pending delivery's own job, run now): that attempt
     * is recorded `manual`, the ones after it `automatica` (the job keeps its retry schedule).
     */
    tentativaManual: Type.Optional(Type.Integer({ minimum: 1 })),
    /**
     * A resend's hand-over, sending nothing itself: the resend found the pending delivery's own job mid-attempt, so this
     * job waits for that attempt to be recorded and then hands the resend over (its attempt of this number or later
     * recorded `manual`, run right after), so that the resend is honoured and never sent beside the attempt in flight.
     */
    reenvio: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);
export type WebhookDeliverPayload = Static<typeof WebhookDeliverPayload>;

/**
 * The control characters refused in text (a regular expression's character class, unbracketed): C0 controls and
 * DEL..C1 (Unicode category Cc) except tab, line feed and carriage return. PostgreSQL refuses a NUL in text and XML 1.0
 * carries none; one-line text (ONE_LINE_TEXT_PATTERN) refuses these plus tab and line breaks. Written here so that every
 * package (@integrador/integrador's parametros, the ingress's Text fields, the CTI listeners) uses the one rule.
 */
export const CONTROL_CHARACTERS = '\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F';

/** One line of text: no control character (CONTROL_CHARACTERS), no tab, no line break. */
export const ONE_LINE_TEXT_PATTERN = `^[^${CONTROL_CHARACTERS}\\t\\n\\r]*$`;

/**
 * What a ramal (extension) may be: digits, and the letters and signs some PBXs put in extension names, up to
 * usuarios.ramal's 20. The one rule of the listeners, the API, the CLI and these payloads; @integrador/cti exports it
 * (ramalOf, RAMAL_TAKES); it is written here because the payloads below are checked against it and cti depends on jobs.
 */
export const RAMAL_MAX_LENGTH = 20;
export const RAMAL_PATTERN = `^[0-9A-Za-z*#-]{1,${RAMAL_MAX_LENGTH}}$`;

/**
 * cti.call-event: one WConnect listener request (seed 002), accepted before any lookup. receivedAt is the event's time
 * (the seed: date and time are those of arrival); eventId pairs the job with the ligacoes row it writes, so a job that
 * runs twice writes nothing twice. telefone is kept raw: the worker normalises it with the tenant's settings.
 */
export const CtiCallEventPayload = Type.Object(
  {
    tenant: TenantRef,
    eventId: Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$' }),
    kind: Type.Union([Type.Literal('inicio'), Type.Literal('fim')]),
    ramal: Type.String({ pattern: RAMAL_PATTERN }),
    telefone: Type.String({ minLength: 1, maxLength: 40 }),
    urlAudio: Type.Optional(Type.String({ maxLength: 1000 })),
    receivedAt: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T', maxLength: 40 }),
  },
  { additionalProperties: false },
);
export type CtiCallEventPayload = Static<typeof CtiCallEventPayload>;

/**
 * cti.click-to-call: dial numero from ramal through the tenant's PBX. Only the call's own values travel; the worker
 * reads the PBX template and resolves its secret itself. callId is the ligacoes row's evento_id (idempotent retries).
 */
export const CtiClickToCallPayload = Type.Object(
  {
    tenant: TenantRef,
    callId: Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$' }),
    ramal: Type.String({ pattern: RAMAL_PATTERN }),
    numero: Type.String({ pattern: '^[0-9+()\\s.-]{1,40}$' }),
    requestedAt: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T', maxLength: 40 }),
  },
  { additionalProperties: false },
);
export type CtiClickToCallPayload = Static<typeof CtiClickToCallPayload>;
