// The answers of the dashboard's JSON API (/dashboard/api/…), in TypeBox as the ingress's are: Fastify serializes through
// them (fast-json-stringify drops every property a schema does not declare) and, when the ingress mounts the dashboard,
// its OpenAPI document shows them. Each one lists every field the pages and scripts read, and nothing more: a CRM row
// passed through as read (job records, audit entries, calls, deliveries, attempts) answers its listed columns only, so
// an internal column (a lookup key, an event id, a cycle counter) never leaks and a new column is answered once it is
// added here. Timestamps are the driver's: a Date written as ISO 8601, or SQLite's UTC text.
import { Nullable } from '@integrador/jobs';
import { MAX_ROW_ID } from '@integrador/store';
import { Type } from '@sinclair/typebox';
import { SKIP_REASONS } from './actions';

const string = () => Type.String();
const integer = () => Type.Integer();
const timestamp = () => Type.String({ description: 'ISO 8601, or `YYYY-MM-DD HH:MM:SS` (UTC) on a SQLite CRM' });

/** The one error body of the ingress; the same description, so its OpenAPI document shows one Error component for both. */
export const ErrorBody = Type.Object(
  { error: Type.Object({ code: string(), message: string(), field: Type.Optional(string()) }) },
  { description: 'Error body; message in pt-BR or English (Accept-Language)' },
);

/** 401 without a session or key; 403 for a leitor's action or a session's missing CSRF token; 404 for what the viewer does not see. */
export const readErrors = { 401: ErrorBody, 404: ErrorBody } as const;
export const actionErrors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 503: ErrorBody } as const;

const Tally = Type.Object({
  runs: integer(),
  concluido: integer(),
  falhou: integer(),
  aguardando_retentativa: integer(),
  adiado: integer(),
  bloqueado: integer(),
  ativo: integer(),
});

export const CountsResponse = Type.Object({ lastHour: Tally });

/** One job as the shared runner recorded it (registro_jobs). */
const JobRecord = Type.Object(
  {
    id: integer(),
    empresa_id: integer(),
    empresa_filial_id: Nullable(integer()),
    fila: string(),
    job_id: string(),
    nome_job: string(),
    integracao_id: Nullable(integer()),
    parametros: Nullable(Type.String({ description: 'the key parameters as JSON' })),
    estado: string(),
    tentativas: integer(),
    max_tentativas: integer(),
    erro_classe: Nullable(string()),
    erro_codigo: Nullable(string()),
    erro_mensagem: Nullable(string()),
    erro_motivo: Nullable(Type.String({ description: "the failure's code worded in the viewer's language (null: not worded)" })),
    busca: string(),
    criado_em: timestamp(),
    iniciado_em: Nullable(timestamp()),
    finalizado_em: Nullable(timestamp()),
    atualizado_em: timestamp(),
  },
  { description: 'a registro_jobs row' },
);

export const JobSearchResponse = Type.Object({
  total: Type.Integer({ description: 'counted up to one bulk retry (5000)' }),
  totalCapped: Type.Boolean({ description: 'more match than total' }),
  customerSearchNeedsEmpresa: Type.Boolean({
    description:
      'q could name a customer (a name or CNPJ/CPF) but the search spans every tenant with no empresa: customers were not looked up (that would read every tenant’s), only the records’ own text; add empresa to find them',
  }),
  items: Type.Array(JobRecord),
});

const RequestAttempt = Type.Object(
  {
    id: integer(),
    execucao_id: integer(),
    tentativa: integer(),
    url: Nullable(string()),
    requisicao: Nullable(string()),
    resposta: Nullable(string()),
    status_http: Nullable(integer()),
    duracao_ms: Nullable(integer()),
    erro: Nullable(string()),
    criado_em: timestamp(),
  },
  { description: 'an integracao_tentativas row (URL and errors masked)' },
);

export const JobDetailResponse = Type.Object({
  record: JobRecord,
  empresaNome: Nullable(Type.String({ description: "the record's empresa by name" })),
  integracaoNome: Nullable(Type.String({ description: "the record's integration by name; null when none or not the record's tenant's" })),
  actions: Type.Array(Type.Union([Type.Literal('retry'), Type.Literal('discard')]), {
    description: "the actions the record's state allows (another answers 409 JOB_NOT_FAILED)",
  }),
  live: Nullable(
    Type.Object(
      {
        state: string(),
        failedReason: Nullable(string()),
        logs: Type.Array(string()),
        flow: Type.Unknown(),
        stalledCounter: Type.Integer({
          minimum: 0,
          description:
            'times BullMQ took the job back from a worker that stopped mid-run (stalled): the attempt count does not show them, and records of the interrupted run may have been sent again',
        }),
        nextRunAt: Type.Optional(
          Nullable(
            Type.String({ format: 'date-time', description: 'when a delayed job runs next: its next attempt, or the end of its wait' }),
          ),
        ),
      },
      { description: "BullMQ's view while Redis keeps the job" },
    ),
  ),
  execucoes: Type.Array(
    Type.Object({
      chave: string(),
      status: string(),
      mensagem: Nullable(string()),
      nota: Nullable(
        Type.String({ description: "a push accepted with nothing written back (sql_update not run), in the viewer's language" }),
      ),
      tentativas: Type.Array(RequestAttempt),
    }),
  ),
  preview: Type.Unknown({ description: 'the dry run of a SET (consulta, records), its error, or null' }),
  dependencies: Type.Array(
    Type.Object({ queue: string(), jobId: string(), integracaoId: Nullable(integer()), estado: Nullable(string()) }),
  ),
});

export const ActionResultResponse = Type.Object({
  done: integer(),
  skipped: integer(),
  notFound: integer(),
  skippedReasons: Type.Object(Object.fromEntries(SKIP_REASONS.map((reason) => [reason, Type.Optional(integer())])), {
    additionalProperties: false,
    description:
      'how many were skipped, by why: webhook-delivered (delivered since), webhook-endpoint-disabled, webhook-endpoint-deleted, click-to-call, not-failed (retried or completed meanwhile); a bulk retry counts here the failed jobs of its filter it leaves out',
  }),
});

export const EnqueuedResponse = Type.Object({ queue: string(), jobId: string() });

export const SchedulePausedResponse = Type.Object({ integracaoId: integer(), paused: Type.Boolean() });
export const TenantPausedResponse = Type.Object({ empresaId: integer(), paused: Type.Boolean() });

const AuditEntry = Type.Object(
  {
    id: integer(),
    autor: string(),
    operador_id: Nullable(integer()),
    empresa_id: Nullable(integer()),
    acao: Type.String({ description: 'the action as a code (retry, discard, run-now, pause-tenant…); the page words it' }),
    alvo: Nullable(string()),
    quantidade: integer(),
    detalhe: Nullable(string()),
    criado_em: timestamp(),
  },
  { description: 'an auditoria_acoes row' },
);

export const AuditResponse = Type.Object({ items: Type.Array(AuditEntry) });

const Call = Type.Object(
  {
    id: integer(),
    empresa_id: integer(),
    empresa_filial_id: Nullable(integer()),
    usuario_id: Nullable(integer()),
    conta_id: Nullable(integer()),
    contato_id: Nullable(integer()),
    ramal: string(),
    telefone: string(),
    telefone_normalizado: Nullable(string()),
    direcao: string(),
    status: Nullable(string()),
    inicio: timestamp(),
    atendido_em: Nullable(timestamp()),
    fim: Nullable(timestamp()),
    duracao_segundos: Nullable(integer()),
    url_audio: Nullable(string()),
    sem_inicio: Type.Integer({ description: '1: the end arrived without its start' }),
    erro: Nullable(string()),
    criado_em: timestamp(),
  },
  { description: 'a ligacoes row (its error masked)' },
);

export const CallsResponse = Type.Object({
  empresaId: Nullable(Type.Integer({ description: 'the empresa listed (asked for, or the only one the session sees); null: several' })),
  items: Type.Array(Call),
  calls: Type.Array(Call, { description: 'deprecated: the same list as items, as every list answers; removed in the next release' }),
  nextCursor: Nullable(Type.Integer({ description: 'the next page: ?antes=<nextCursor>' })),
});

const WebhookAttempt = Type.Object(
  {
    id: integer(),
    entrega_id: integer(),
    numero: integer(),
    origem: string(),
    cabecalhos: Type.Record(Type.String(), Type.String()),
    status_http: Nullable(integer()),
    resposta: Nullable(string()),
    duracao_ms: integer(),
    classe_erro: Nullable(string()),
    erro: Nullable(string()),
    criado_em: timestamp(),
  },
  { description: 'a webhook_tentativas row (headers parsed, secrets masked)' },
);

const Delivery = Type.Object(
  {
    id: integer(),
    status: string(),
    tentativas: integer(),
    ultimo_status_http: Nullable(integer()),
    ultimo_erro: Nullable(string()),
    // Why a cancelada delivery was cancelled, as a code (ENDPOINT_DISABLED or ENDPOINT_DELETED); null otherwise.
    motivo: Nullable(
      Type.Union(
        ['ENDPOINT_DISABLED', 'ENDPOINT_DELETED', 'HTTPS_REQUIRED', 'PAYLOAD_TOO_LARGE', 'ENDPOINT_GONE', 'SIGNATURE_REJECTED'].map(
          (code) => Type.Literal(code),
        ),
      ),
    ),
    proxima_tentativa_em: Nullable(timestamp()),
    entregue_em: Nullable(timestamp()),
    criado_em: timestamp(),
    gatilho: string(),
    registro_id: string(),
    webhook_id: string(),
    attempts: Type.Array(WebhookAttempt),
  },
  { description: 'a webhook_entregas row with its message, and every attempt' },
);

export const WebhooksResponse = Type.Object({
  empresaId: integer(),
  items: Type.Array(
    Type.Object({
      id: integer(),
      nome: Nullable(Type.String({ description: 'null for a deleted endpoint (excluido)' })),
      url: Nullable(Type.String({ description: 'a token in its query masked; null for a deleted endpoint (excluido)' })),
      ativo: Type.Boolean(),
      excluido: Type.Boolean({
        description:
          'a deleted endpoint whose deliveries are kept until the retention purge (listed after the others; nothing is sent to it)',
      }),
      desativado: Nullable(Type.String({ description: 'why the engine disabled it' })),
      nextCursor: Nullable(Type.Integer({ description: "this endpoint's older deliveries: ?endpoint=<id>&antes=<nextCursor>" })),
      circuito: Nullable(
        Type.Object(
          {
            estado: Type.Union([Type.Literal('fechado'), Type.Literal('aberto'), Type.Literal('meio_aberto')], {
              description: 'fechado: deliveries go; aberto: they wait until `ate`; meio_aberto: the next delivery is a probe',
            }),
            aberto: Type.Boolean(),
            ate: Nullable(Type.String({ description: 'while aberto, when the next delivery may go (as a probe)' })),
            falhasSeguidas: integer(),
          },
          { description: "the endpoint's circuit breaker now, as GET /v1/webhooks shows it; null when Redis did not answer" },
        ),
      ),
      deliveries: Type.Array(Delivery),
    }),
  ),
});

export const WebhookAttemptsResponse = Type.Object({ items: Type.Array(WebhookAttempt) });

/** The engine's recover answer: in all, and how many had failed or had been cancelled by the endpoint's disabling. */
export const RecoveredResponse = Type.Object({ recovered: integer(), falhou: integer(), cancelada: integer() });

/** A row id in a path or a body: past the CRM's 32-bit integer columns it is refused (400), not left to the database. */
export const RowId = { type: 'integer', minimum: 1, maximum: MAX_ROW_ID } as const;
