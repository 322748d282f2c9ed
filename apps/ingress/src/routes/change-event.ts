import { type JobProducer, requestFingerprint } from '@integrador/queue';
import type { CrmDatabase } from '@integrador/store';
import {
  isWebhookTable,
  type Locale,
  type NothingSent,
  OPERACOES,
  type Operacao,
  receiveChangeEvent,
  WebhookError,
  webhookMessage,
} from '@integrador/webhooks';
import { Type } from '@sinclair/typebox';
import { Text } from '../schemas';

// The change-event route's webhook side, kept apart from events.routes.ts so that file stays the SET fan-out: the
// fields a change event adds (the row, what happened, an idempotency key) and the engine call that fans it out.

/** Body fields of POST /v1/events/crm-change beyond tabela and parametros. */
export const ChangeEventFields = {
  id: Type.Optional(
    Type.Union([Type.String({ pattern: '^[0-9]{1,18}$' }), Type.Integer({ minimum: 1 })], { description: 'the changed row' }),
  ),
  operacao: Type.Optional(
    Type.Union(
      OPERACOES.map((o) => Type.Literal(o)),
      { description: 'what happened (default alterado)' },
    ),
  ),
  chaveIdempotencia: Type.Optional(
    // Stored as the claim's key: a control character (a NUL, which PostgreSQL refuses in text) is refused here, as 400.
    Text({
      minLength: 1,
      maxLength: 200,
      description: 'the same key twice changes nothing twice (the first answer is returned); printable text',
    }),
  ),
};

/** Reply fields the change event adds to the SET report. */
export const ChangeEventReply = {
  webhooks: Type.Union(
    [
      Type.Null(),
      Type.Object({
        gatilho: Type.Union([Type.String(), Type.Null()]),
        entregas: Type.Array(Type.Integer()),
        canceladas: Type.Optional(
          Type.Array(Type.Integer(), {
            description:
              'deliveries recorded as cancelada for disabled webhooks of the gatilho (no job): re-enable and recover to send them',
          }),
        ),
        via: Type.String({ description: 'route (this call published the change) or triggers (the capture triggers do)' }),
        motivo: Type.Optional(
          Type.Object(
            {
              code: Type.String({ description: 'NO_ROW, NO_GATILHO, NOT_CONCLUDED, NO_ENDPOINT, ENDPOINTS_DISABLED or VIA_TRIGGERS' }),
              message: Type.String({ description: 'in the request language; NO_GATILHO names the operacoes that fire one' }),
            },
            { description: 'why no webhook was sent (present only when entregas is empty)' },
          ),
        ),
      }),
    ],
    { description: 'null when the table fires no webhook or the event names no id' },
  ),
  chaveIdempotencia: Type.String(),
  deduplicated: Type.Boolean(),
};

const worded = (locale: Locale, motivo: NothingSent | undefined) =>
  motivo && { code: motivo.code, message: webhookMessage(locale, motivo.code, motivo.params) };

/**
 * The fingerprint the chave is bound to: the event's body without the chave itself (it may come in the body or as the
 * Idempotency-Key header: the same event either way), in the form the event is handled in — the id as digits (42,
 * "42" and "042" are one row), operacao with its default (alterado), tabela in lower case (table names are matched so)
 * — so that a retry spelling the same event another way is not refused as another body (422 CHANGE_KEY_REUSED).
 */
function bodyFingerprint(body: ChangeEventBody): string {
  return requestFingerprint({ method: 'POST', route: '/v1/events/crm-change', body: handledChange(body) });
}

/**
 * The fingerprints earlier versions gave this same event, which claims written then hold: with no parameter, a body
 * fingerprinted with `parametros: {}` (before an empty parametros was taken as none) — so a retry of such a claim,
 * spelled either way, still finds its first answer rather than a 422.
 */
function earlierFingerprints(body: ChangeEventBody): string[] {
  if (Object.keys(body.parametros ?? {}).length > 0) return [];
  return [requestFingerprint({ method: 'POST', route: '/v1/events/crm-change', body: { ...handledChange(body), parametros: {} } })];
}

/** A crm-change body as far as its identity goes (see bodyFingerprint). */
interface ChangeEventBody {
  tabela: string;
  id?: string | number | undefined;
  operacao?: Operacao | undefined;
  chaveIdempotencia?: string | undefined;
  parametros?: Record<string, unknown> | undefined;
}

/**
 * The event in the form it is handled in, without its chave: what a chaveIdempotencia is bound to, and what an
 * Idempotency-Key header is bound to too (the route's `idempotentBody`), so both keys compare one event alike. An
 * empty parametros is none (the run gets no parameter either way).
 */
function handledChange(body: ChangeEventBody): object {
  const { chaveIdempotencia: _key, parametros, ...event } = body;
  return {
    ...event,
    ...(parametros && Object.keys(parametros).length > 0 ? { parametros } : {}),
    tabela: event.tabela.toLowerCase(),
    id: event.id === undefined ? undefined : BigInt(event.id).toString(),
    operacao: event.operacao ?? 'alterado',
  };
}

/**
 * What an Idempotency-Key header is bound to: the handled event and, when the body names a chave other than the header,
 * that chave — another chave is another event (two edits of one row), a 422 under the same header rather than the first
 * event's answer; a body without one, or with the header's own, is the event the header stands for.
 */
export function headerBoundChange(body: ChangeEventBody, key: string): object {
  const handled = handledChange(body);
  const chave = body.chaveIdempotencia;
  return chave === undefined || chave === key ? handled : { ...handled, chaveIdempotencia: chave };
}

/**
 * Claims the key, runs the SET fan-out and publishes the change to the webhooks of its gatilho (packages/webhooks);
 * a table neither a gatilho nor a SET integration (`setTables`) uses is a 400. Why nothing was sent is worded here,
 * in the request's language (the stored first answer keeps the code).
 */
export async function receiveChange<S extends object>(
  database: CrmDatabase,
  producer: JobProducer,
  tenant: { empresaId: number; filialId: number | null },
  body: {
    tabela: string;
    id?: string | number | undefined;
    operacao?: Operacao | undefined;
    chaveIdempotencia?: string | undefined;
    parametros?: Record<string, unknown> | undefined;
  },
  runSetIntegrations: () => Promise<S>,
  options: {
    captureByTriggers?: boolean | undefined;
    setTables: readonly string[];
    /** Whether an active SET integration of the tabela requires no parameter: it runs on an event without id. */
    setRunsWithoutParameters: boolean;
    locale: Locale;
  },
) {
  // An event that needs its id and lacks it: a webhook table's, without `id`, without parametros (omitted or {}, one
  // body as handledChange reads it), and no SET integration of the tabela that would run on it (none active, or each
  // requires a parameter). Nothing would be done with it (a typo such as "ID" was a 202 that did nothing). An active
  // SET integration requiring no parameter (seed 001 allows PARAMETROS_OBRIGATORIOS null) runs: a 202.
  const noParametros = body.parametros === undefined || Object.keys(body.parametros).length === 0;
  if (body.id === undefined && noParametros && !options.setRunsWithoutParameters && isWebhookTable(body.tabela.trim().toLowerCase()))
    throw new WebhookError('CHANGE_ID_REQUIRED', 400, { tabela: body.tabela });
  const result = await receiveChangeEvent(
    { db: database.db, producer, runSetIntegrations, captureByTriggers: options.captureByTriggers ?? false, setTables: options.setTables },
    tenant.empresaId,
    {
      filialId: tenant.filialId,
      tabela: body.tabela,
      id: body.id === undefined ? undefined : String(body.id),
      operacao: body.operacao,
      chaveIdempotencia: body.chaveIdempotencia,
      impressao: bodyFingerprint(body),
      impressoesAnteriores: earlierFingerprints(body),
    },
  );
  const { webhooks, ...rest } = result;
  if (!webhooks) return { ...rest, webhooks };
  const { motivo, ...fanOut } = webhooks;
  return { ...rest, webhooks: motivo ? { ...fanOut, motivo: worded(options.locale, motivo) } : fanOut };
}
