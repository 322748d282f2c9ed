// The answers of the dashboard's JSON API (/dashboard/api/…), as JSON Schema: Fastify serializes through them and, when
// the ingress mounts the dashboard, its OpenAPI document shows them. A response schema drops every property it does not
// declare, so the shapes the routes build are declared whole; the CRM rows they pass through as read (job records,
// audit entries, calls, deliveries, attempts) list their columns and keep `additionalProperties`, so a column a
// migration adds is still answered. Timestamps are the driver's: a Date written as ISO 8601, or SQLite's UTC text.

const string = { type: 'string' } as const;
const integer = { type: 'integer' } as const;
const boolean = { type: 'boolean' } as const;
const nullable = (schema: object) => ({ anyOf: [schema, { type: 'null' }] });
const timestamp = { type: 'string', description: 'ISO 8601, or `YYYY-MM-DD HH:MM:SS` (UTC) on a SQLite CRM' } as const;

/** A row as the database read it: its columns are listed, and a newer one is answered too. */
function row(description: string, properties: Record<string, object>) {
  return { type: 'object', description, additionalProperties: true, properties } as const;
}

/** The one error body of the ingress; the same description, so its OpenAPI document shows one Error component for both. */
export const ErrorBody = {
  type: 'object',
  description: 'Error body; message in pt-BR or English (Accept-Language)',
  required: ['error'],
  properties: {
    error: { type: 'object', required: ['code', 'message'], properties: { code: string, message: string, field: string } },
  },
} as const;

/** 401 without a session or key; 403 for a leitor's action or a session's missing CSRF token; 404 for what the viewer does not see. */
export const readErrors = { 401: ErrorBody, 404: ErrorBody } as const;
export const actionErrors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 503: ErrorBody } as const;

const Tally = {
  type: 'object',
  properties: {
    runs: integer,
    concluido: integer,
    falhou: integer,
    aguardando_retentativa: integer,
    adiado: integer,
    bloqueado: integer,
    ativo: integer,
  },
} as const;

export const CountsResponse = { type: 'object', properties: { lastHour: Tally } } as const;

/** One job as the shared runner recorded it (registro_jobs). */
const JobRecord = row('a registro_jobs row', {
  id: integer,
  empresa_id: integer,
  empresa_filial_id: nullable(integer),
  fila: string,
  job_id: string,
  nome_job: string,
  integracao_id: nullable(integer),
  parametros: nullable({ type: 'string', description: 'the key parameters as JSON' }),
  estado: string,
  tentativas: integer,
  max_tentativas: integer,
  erro_classe: nullable(string),
  erro_codigo: nullable(string),
  erro_mensagem: nullable(string),
  erro_motivo: nullable({ type: 'string', description: "the failure's code worded in the viewer's language (null: not worded)" }),
  busca: string,
  criado_em: timestamp,
  iniciado_em: nullable(timestamp),
  finalizado_em: nullable(timestamp),
  atualizado_em: timestamp,
});

export const JobSearchResponse = {
  type: 'object',
  properties: {
    total: { type: 'integer', description: 'counted up to one bulk retry (5000)' },
    totalCapped: { type: 'boolean', description: 'more match than total' },
    items: { type: 'array', items: JobRecord },
  },
} as const;

const RequestAttempt = row('an integracao_tentativas row (URL and errors masked)', {
  id: integer,
  execucao_id: integer,
  tentativa: integer,
  url: nullable(string),
  requisicao: nullable(string),
  resposta: nullable(string),
  status_http: nullable(integer),
  duracao_ms: nullable(integer),
  erro: nullable(string),
  criado_em: timestamp,
});

export const JobDetailResponse = {
  type: 'object',
  properties: {
    record: JobRecord,
    live: nullable({
      type: 'object',
      description: "BullMQ's view while Redis keeps the job",
      properties: { state: string, failedReason: nullable(string), logs: { type: 'array', items: string }, flow: {} },
    }),
    execucoes: {
      type: 'array',
      items: {
        type: 'object',
        properties: { chave: string, status: string, mensagem: nullable(string), tentativas: { type: 'array', items: RequestAttempt } },
      },
    },
    preview: { description: 'the dry run of a SET (consulta, records), its error, or null' },
    dependencies: {
      type: 'array',
      items: {
        type: 'object',
        properties: { queue: string, jobId: string, integracaoId: nullable(integer), estado: nullable(string) },
      },
    },
  },
} as const;

export const ActionResultResponse = {
  type: 'object',
  properties: { done: integer, skipped: integer, notFound: integer },
} as const;

export const EnqueuedResponse = { type: 'object', properties: { queue: string, jobId: string } } as const;

export const SchedulePausedResponse = { type: 'object', properties: { integracaoId: integer, paused: boolean } } as const;
export const TenantPausedResponse = { type: 'object', properties: { empresaId: integer, paused: boolean } } as const;

const AuditEntry = row('an auditoria_acoes row', {
  id: integer,
  autor: string,
  operador_id: nullable(integer),
  empresa_id: nullable(integer),
  acao: string,
  alvo: nullable(string),
  quantidade: integer,
  detalhe: nullable(string),
  criado_em: timestamp,
});

export const AuditResponse = { type: 'object', properties: { items: { type: 'array', items: AuditEntry } } } as const;

const Call = row('a ligacoes row (its error masked)', {
  id: integer,
  ramal: string,
  telefone: string,
  direcao: string,
  status: nullable(string),
  inicio: timestamp,
  fim: nullable(timestamp),
  erro: nullable(string),
});

export const CallsResponse = {
  type: 'object',
  properties: {
    empresaId: integer,
    calls: { type: 'array', items: Call },
    nextCursor: nullable({ type: 'integer', description: 'the next page: ?antes=<nextCursor>' }),
  },
} as const;

const WebhookAttempt = row('a webhook_tentativas row (headers parsed, secrets masked)', {
  id: integer,
  entrega_id: integer,
  numero: integer,
  origem: string,
  cabecalhos: { type: 'object', additionalProperties: string },
  status_http: nullable(integer),
  resposta: nullable(string),
  duracao_ms: integer,
  classe_erro: nullable(string),
  erro: nullable(string),
  criado_em: timestamp,
});

const Delivery = row('a webhook_entregas row with its message, and every attempt', {
  id: integer,
  status: string,
  tentativas: integer,
  ultimo_status_http: nullable(integer),
  ultimo_erro: nullable(string),
  // Why a cancelada delivery was cancelled, as a code (ENDPOINT_DISABLED or ENDPOINT_DELETED); null otherwise.
  motivo: nullable({ type: 'string', enum: ['ENDPOINT_DISABLED', 'ENDPOINT_DELETED'] }),
  proxima_tentativa_em: nullable(timestamp),
  entregue_em: nullable(timestamp),
  criado_em: timestamp,
  gatilho: string,
  registro_id: string,
  webhook_id: string,
  attempts: { type: 'array', items: WebhookAttempt },
});

export const WebhooksResponse = {
  type: 'object',
  properties: {
    empresaId: integer,
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: integer,
          nome: string,
          url: { type: 'string', description: 'a token in its query masked' },
          ativo: boolean,
          desativado: nullable({ type: 'string', description: 'why the engine disabled it' }),
          deliveries: { type: 'array', items: Delivery },
        },
      },
    },
  },
} as const;

export const WebhookAttemptsResponse = { type: 'object', properties: { items: { type: 'array', items: WebhookAttempt } } } as const;

/** The engine's recover answer: in all, and how many had failed or had been cancelled by the endpoint's disabling. */
export const RecoveredResponse = { type: 'object', properties: { recovered: integer, falhou: integer, cancelada: integer } } as const;
