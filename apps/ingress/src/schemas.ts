import { Nullable, ONE_LINE_TEXT_PATTERN, QUEUE_NAMES } from '@integrador/jobs';
import { IDEMPOTENCY_KEY_PATTERN } from '@integrador/queue';
import { MAX_ROW_ID } from '@integrador/store';
import { type StringOptions, Type } from '@sinclair/typebox';

/** The error body every non-2xx answer has. */
export const ErrorResponse = Type.Object(
  { error: Type.Object({ code: Type.String(), message: Type.String(), field: Type.Optional(Type.String()) }) },
  { $id: 'ErrorResponse', description: 'Error body; message in pt-BR or English (Accept-Language)' },
);

/**
 * The 429 of every /v1 write (RATE_LIMIT_API_*): the error body, documented with its Retry-After header. Same description
 * as ErrorResponse, so the document points it at the one error component.
 */
export const TenantRateLimitedResponse = Type.Object(ErrorResponse.properties, {
  description: ErrorResponse.description,
  'x-response-description':
    "TENANT_RATE_LIMITED: the empresa's budget of /v1 writes is spent (counted per empresa across every ingress); the request was not accepted and nothing was enqueued — send it again after Retry-After",
  headers: {
    'retry-after': Type.Integer({ minimum: 1, description: 'seconds until the budget allows a request again' }),
  },
});

/**
 * One line of text without control characters: the characters parametros refuse (packages/integrador) plus tab and line
 * breaks. PostgreSQL refuses a NUL in text (a 500 from the insert before this), and a name, URL or key is one line.
 * A value breaking it is answered 400 CONTROL_CHARACTER naming the field (plugins/error-handler.ts).
 */
export const TEXT_PATTERN = ONE_LINE_TEXT_PATTERN;

/** What a text field with a pattern takes, in words, by its pattern: a 400 names the rule, never the regular expression. */
export const PATTERN_TAKES = new Map<string, { 'pt-BR': string; en: string }>();

/** A text field with a pattern, refused in words (PATTERN_TAKES) rather than by quoting the pattern. */
export const PatternText = (pattern: string, takes: { 'pt-BR': string; en: string }, options: StringOptions = {}) => {
  PATTERN_TAKES.set(pattern, takes);
  return Type.String({ ...options, pattern });
};

/**
 * A date-time with its time zone (Z or an offset; a filter, a recover's `since`): without one the instant is ambiguous
 * (the server's zone? the tenant's?), so it is refused, saying so with an example, rather than read in a zone the caller
 * did not choose.
 */
export const ZonedDateTime = (description: string) =>
  PatternText(
    '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d{1,9})?)?(?:Z|z|[+-]\\d{2}:?\\d{2})$',
    {
      'pt-BR':
        'data e hora ISO 8601 com fuso horário, como 2026-12-01T09:00:00-03:00 ou 2026-12-01T12:00:00Z (sem fuso, o instante seria ambíguo)',
      en: 'an ISO 8601 date-time with its time zone, such as 2026-12-01T09:00:00-03:00 or 2026-12-01T12:00:00Z (without one, the instant would be ambiguous)',
    },
    { format: 'date-time', description },
  );

/** A free-text field (a name, a URL, a key, a note) that the hub stores or sends on: see TEXT_PATTERN. */
export const Text = (options: StringOptions = {}) => Type.String({ ...options, pattern: TEXT_PATTERN });

export const QueueParam = Type.Union(
  QUEUE_NAMES.map((q) => Type.Literal(q)),
  { description: 'queue name' },
);

export const TenantResponse = Type.Object({ empresaId: Type.Integer(), filialId: Nullable(Type.Integer()), nome: Type.String() });

/** An integracao row as the API shows it (seed 001 column names). */
export const IntegracaoResponse = Type.Object({
  id: Type.Integer(),
  nome: Type.String(),
  tipo_servico: Type.String(),
  empresa_id: Nullable(Type.Integer()),
  empresa_filial_id: Nullable(Type.Integer()),
  link: Nullable(Type.String()),
  tabela: Nullable(Type.String()),
  consulta: Nullable(Type.String()),
  conexao_integracao_id: Nullable(Type.Integer()),
  porta_ws: Nullable(Type.String()),
  indice_array_retorno: Nullable(Type.String()),
  indice_valor_retorno: Nullable(Type.String()),
  indice_erro_retorno: Nullable(Type.String()),
  sql_consulta: Nullable(Type.String()),
  sql_insert: Nullable(Type.String()),
  sql_update: Nullable(Type.String()),
  dependente: Nullable(Type.Integer()),
  depende_de: Nullable(Type.Integer()),
  parametros_obrigatorios: Nullable(Type.String()),
  ordem: Type.Integer(),
  cron: Nullable(Type.String()),
  ativo: Type.Integer(),
  timeout_ms: Nullable(Type.Integer()),
  lote_maximo: Nullable(Type.Integer({ description: 'SET micro-batching: pushes per receptor call (null = one)' })),
  chave: Nullable(Type.String({ description: 'GET: the CRM key column(s) of the upsert (null = id_erp)' })),
  campo_cursor: Nullable(Type.String({ description: 'GET: the source column whose value only grows' })),
  modo: Nullable(Type.String({ description: "GET: 'completo' or 'incremental'" })),
  reconciliacao_horas: Nullable(Type.Integer({ description: 'GET: hours between full reconciles' })),
  tamanho_lote: Nullable(Type.Integer({ description: 'GET: rows per chunk' })),
});

/** One integracao with its campos, dependencias and regras, and its connection by name (never its secrets). */
export const IntegracaoDetailResponse = Type.Composite([
  IntegracaoResponse,
  Type.Object({
    campos: Type.Array(
      Type.Object({ id: Type.Integer(), campo_crm: Type.String(), ordem: Type.Integer(), descricao: Nullable(Type.String()) }),
    ),
    dependencias: Type.Array(
      Type.Object({
        id: Type.Integer(),
        campos_integracao_id: Nullable(Type.Integer()),
        variavel: Type.String(),
        tipo: Type.String(),
        consulta: Nullable(Type.String()),
        integracao_origem_id: Nullable(Type.Integer()),
        indice_valor: Nullable(Type.String()),
        obrigatoria: Type.Integer(),
        descricao: Nullable(Type.String()),
      }),
    ),
    regras: Type.Array(
      Type.Object({
        id: Type.Integer(),
        campos_integracao_id: Nullable(Type.Integer()),
        campo: Type.String(),
        tipo: Type.String(),
        parametros: Nullable(Type.String()),
        ordem: Type.Integer(),
        descricao: Nullable(Type.String()),
      }),
    ),
    conexao: Nullable(Type.Object({ id: Type.Integer(), nome_conexao: Type.String(), tipo_conexao: Type.String() })),
  }),
]);

/** A row id in a URL: above MAX_ROW_ID it could name no row, and PostgreSQL would refuse the query ("out of range"). */
export const RowId = (description: string) => Type.Integer({ minimum: 1, maximum: MAX_ROW_ID, description });

export const IdParams = Type.Object({ id: RowId('integracao id') }, { additionalProperties: false });

export const ListIntegracoesQuery = Type.Object(
  {
    tipo_servico: Type.Optional(Type.Union([Type.Literal('SET'), Type.Literal('GET'), Type.Literal('INFO')])),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
    offset: Type.Integer({ minimum: 0, default: 0 }),
  },
  { additionalProperties: false },
);

/**
 * The longest hold a tenant key's ping may ask for. The ping is a diagnostic: a longer one only holds worker slots
 * (25 pings of 20 s once held every worker-cti slot and delayed another tenant's screen pop by 19 s). Longer holds stay
 * possible for the tests and operators that enqueue system.ping directly (the job itself takes up to 60 s).
 */
export const PING_MAX_SLEEP_MS = 1000;

export const PingBody = Type.Object(
  {
    queue: QueueParam,
    sleepMs: Type.Optional(
      Type.Integer({ minimum: 0, maximum: PING_MAX_SLEEP_MS, description: 'hold the job this long in the worker (at most 1000 ms)' }),
    ),
    note: Type.Optional(Text({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

/**
 * BullMQ keeps a queue's own keys beside its jobs (`<prefix>:<queue>:<name>`): an id naming one would read a list,
 * stream or set as a job hash (Redis WRONGTYPE). Job ids are BullMQ's numbers, the fleet's own ids (letters, digits,
 * `_.-`, no `:`) and a scheduler's `repeat:<schedulerId>:<millis>`; none of them is one of these names.
 */
export const BULLMQ_KEY_NAMES = [
  'wait',
  'paused',
  'active',
  'meta',
  'id',
  'delayed',
  'prioritized',
  'priority',
  'pc',
  'completed',
  'failed',
  'stalled',
  'stalled-check',
  'events',
  'marker',
  'limiter',
  'metrics',
  'repeat',
  'waiting-children',
  'de',
  'logs',
  'dependencies',
  'processed',
  'unsuccessful',
  'failed-children',
] as const;

export const JOB_ID_PATTERN = `^(?!(?:${BULLMQ_KEY_NAMES.join('|')})$)(?:[A-Za-z0-9_.-]+|repeat:[A-Za-z0-9_.-]+:[0-9]+)$`;

export const JobParams = Type.Object(
  { queue: QueueParam, id: Type.String({ minLength: 1, maxLength: 200, pattern: JOB_ID_PATTERN, description: 'job id' }) },
  { additionalProperties: false },
);

/** The failed prerequisite a blocked flow step waits on. */
export const BlockingFailureResponse = Type.Object({
  queue: Type.String(),
  jobId: Type.String(),
  integracaoId: Nullable(Type.Integer()),
  failedReason: Type.String(),
  failedReasonText: Type.String({ description: 'failedReason worded in the request language (see JobResponse.failedReasonText)' }),
  failedAt: Nullable(Type.String()),
});

export const JobResponse = Type.Object({
  id: Type.String(),
  queue: Type.String(),
  name: Type.String(),
  state: Type.String({ description: "BullMQ's state, or blocked: a flow step waiting on a prerequisite that failed" }),
  stateLabel: Type.String({ description: 'the state in the request language (bloqueado, concluído…)' }),
  blockedBy: Nullable(BlockingFailureResponse),
  flow: Type.Unknown({ description: 'the step of a dependency flow (triggeredIntegracaoId, step, steps, prerequisite), or null' }),
  attemptsMade: Type.Integer(),
  maxAttempts: Type.Integer({
    description: "the attempts the job gets: its kind's; for a SET push its connection's retry.attempts (default 12, at most 25)",
  }),
  failedReason: Nullable(Type.String({ description: "the worker's error message, as BullMQ keeps it (English, technical)" })),
  failedReasonText: Nullable(
    Type.String({
      description:
        'the failure as a user reads it, in the request language: the worded reason of its code, then failedReason; failedReason as is for a code without a wording',
    }),
  ),
  returnvalue: Type.Unknown(),
  progress: Type.Unknown({ description: 'live progress; for GET pulls { phase, rowsRead, rowsWritten, chunks, startedAt }' }),
  createdAt: Type.String(),
  finishedAt: Nullable(Type.String()),
});

export const LintFindingResponse = Type.Object({
  code: Type.String(),
  severity: Type.String(),
  table: Type.String(),
  rowId: Type.Integer(),
  column: Type.String(),
  integracaoId: Nullable(Type.Integer()),
  integracaoNome: Nullable(Type.String()),
  message: Type.String(),
});

/**
 * Routes that enqueue accept an Idempotency-Key: a request retried with the same key (after a timeout, a dropped
 * connection or a 503 ENQUEUE_OUTCOME_UNKNOWN) answers the job its first attempt created instead of adding another,
 * for as long as that job is kept (packages/jobs RETENTION).
 */
export const IdempotencyHeaders = Type.Object(
  {
    'idempotency-key': Type.Optional(
      Type.String({
        pattern: IDEMPOTENCY_KEY_PATTERN,
        description:
          '1–200 visible ASCII characters naming this request (e.g. a UUID). A replay answers the first answer; 409 IDEMPOTENCY_KEY_IN_PROGRESS while the first still runs; 422 IDEMPOTENCY_KEY_REUSED for another route or body; 409 IDEMPOTENCY_ANSWER_UNREADABLE when the kept answer can no longer be read (WEBHOOK_SECRET_KEY changed, or another release kept it in another shape): nothing runs again, use a new key',
      }),
    ),
  },
  { additionalProperties: true },
);

/** Whether an enqueueing request added nothing: every route that takes an Idempotency-Key answers a replay with it. */
export const Deduplicated = Type.Boolean({
  description:
    "true: nothing was added — a replay of this Idempotency-Key (jobId is its first attempt's job) or a GET pull already under way",
});

/** The answer of a route that enqueues one job. */
export const EnqueuedResponse = Type.Object({ queue: Type.String(), jobId: Type.String(), deduplicated: Deduplicated });
