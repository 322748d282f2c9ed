import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ConnectionsRegistry } from '@integrador/connections';
import {
  admitRun,
  changeParametros,
  controlCharacterParameter,
  enqueuePlannedRun,
  isPermanent,
  isRunnableOn,
  type Parametros,
  type PlannedStep,
  type RunCaller,
  RunRefusedError,
  requiredParameters,
  rowVisibleTo,
  runRefusalMessage,
  StepQueueUnavailableError,
} from '@integrador/integrador';
import type { JobProducer } from '@integrador/queue';
import { type CrmDatabase, listIntegracoes } from '@integrador/store';
import { Type } from '@sinclair/typebox';
import { domainHttpError } from '../error-status';
import { localeOf, type MessageKey, message } from '../i18n';
import { ErrorResponse, IdempotencyHeaders } from '../schemas';
import { ChangeEventFields, ChangeEventReply, headerBoundChange, receiveChange } from './change-event';
import { RunBody } from './runs.routes';

/**
 * A candidate whose flow is part of another candidate's flow (a prerequisite, or a depende_de follower) already runs
 * in that one: not twice. Identical flows run once.
 */
function withoutOverlaps(plans: ReadonlyMap<number, PlannedStep[]>): Map<number, PlannedStep[]> {
  const ids = (plan: readonly PlannedStep[]) => plan.map((step) => step.integracaoId);
  const kept = new Map<number, PlannedStep[]>();
  const seen = new Set<string>();
  for (const [id, plan] of plans) {
    const covered = [...plans.values()].some((other) => other.length > plan.length && ids(plan).every((step) => ids(other).includes(step)));
    if (covered || seen.has(ids(plan).join(','))) continue;
    seen.add(ids(plan).join(','));
    kept.set(id, plan);
  }
  return kept;
}

/** A candidate not enqueued although admitted or asked for: `motivo` words `message` in each reader's language. */
type RefusedRun = { integracaoId: number; message: string; motivo?: { code: MessageKey; params: Record<string, string> } };

/** A refusal as the event's answer keeps it: the English message, and its code and values for each replay's language. */
function refusedRun(integracaoId: number, err: unknown): RefusedRun {
  const coded = domainHttpError(err);
  return { integracaoId, message: (err as Error).message, ...(coded ? { motivo: { code: coded.code, params: coded.params } } : {}) };
}

/**
 * Admits every candidate through admitRun: one that lacks parametros_obrigatorios is skipped, one whose graph is broken
 * (or that admission refuses otherwise) is refused on its own — the others still run. A configuration refusal
 * (GET_CONFIG, …) refuses none: the change is acknowledged, so its flow is enqueued and the misconfigured step fails in
 * its worker, where an operator sees it and retries it after the fix (deferConfiguration).
 */
async function admitAll(
  database: CrmDatabase,
  tenant: RunCaller,
  ids: readonly number[],
  parametros: Parametros,
  connections: ConnectionsRegistry | undefined,
) {
  const plans = new Map<number, PlannedStep[]>();
  const skipped: SkippedRun[] = [];
  const refused: RefusedRun[] = [];
  for (const integracaoId of ids) {
    try {
      plans.set(
        integracaoId,
        (
          await admitRun(database.db, {
            tenant,
            integracaoId,
            parametros,
            deferConfiguration: true,
            ...(connections ? { connections } : {}),
          })
        ).plan,
      );
    } catch (err) {
      if (err instanceof RunRefusedError && err.code === 'MISSING_PARAMETERS') {
        skipped.push({ integracaoId, missing: (err.params.names ?? '').split(', ') });
      } else if (isPermanent(err)) refused.push(refusedRun(integracaoId, err));
      else throw err;
    }
  }
  return { plans: withoutOverlaps(plans), skipped, refused };
}

/** A candidate not enqueued: parametros it lacks, or why (motivo: the changed row is not the caller's to see). */
type SkippedRun = { integracaoId: number; missing: string[]; motivo?: { code: 'ROW_NOT_VISIBLE'; params: Record<string, string> } };

export const CrmChangeBody = Type.Object(
  {
    tabela: Type.String({
      pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
      maxLength: 100,
      description:
        'the CRM table that changed: a webhook table (contatos, oportunidades, atividades, eventos) or the tabela of one of the tenant integrations; any other is a 400',
    }),
    parametros: RunBody.properties.parametros,
    ...ChangeEventFields,
  },
  { additionalProperties: false },
);

/**
 * POST /v1/events/crm-change: a CRM record changed. Every active SET integration of the tenant on that tabela
 * whose parametros_obrigatorios the event provides is enqueued (trigger event) with its prerequisites as one flow; the
 * others are listed as skipped, and one whose dependency graph is broken as refused (naming the rows).
 */
export function eventsRoutes(
  database: CrmDatabase,
  producer: JobProducer,
  options: { captureByTriggers?: boolean; connections?: ConnectionsRegistry | undefined } = {},
): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/events/crm-change',
      {
        // An Idempotency-Key header binds the event as it is handled, as a chaveIdempotencia does: 42 and "042" alike;
        // with the body's chave when it is another (headerBoundChange).
        config: { idempotentBody: (body, key) => headerBoundChange(body as Parameters<typeof headerBoundChange>[0], key) },
        schema: {
          tags: ['integrations'],
          summary: 'A CRM record changed: run the SET integrations of its table',
          headers: IdempotencyHeaders,
          body: CrmChangeBody,
          response: {
            202: Type.Object({
              jobs: Type.Array(Type.Object({ integracaoId: Type.Integer(), jobId: Type.String() })),
              skipped: Type.Array(
                Type.Object({
                  integracaoId: Type.Integer(),
                  missing: Type.Array(Type.String()),
                  motivo: Type.Optional(
                    Type.Object(
                      { code: Type.String({ description: 'ROW_NOT_VISIBLE' }), message: Type.String() },
                      { description: "why it was skipped although no parameter is missing: the event's row (id) is not the caller's" },
                    ),
                  ),
                }),
              ),
              refused: Type.Array(Type.Object({ integracaoId: Type.Integer(), message: Type.String() })),
              ...ChangeEventReply,
            }),
            400: ErrorResponse,
            401: ErrorResponse,
            // CHANGE_IN_PROGRESS: the same key's first attempt is still running (Retry-After); retry for its answer.
            409: ErrorResponse,
            // CHANGE_KEY_REUSED: the same chaveIdempotencia came with another event (tabela, id, operacao, parametros).
            422: ErrorResponse,
            503: ErrorResponse,
          },
        },
      },
      async (request, reply) => {
        const locale = localeOf(request);
        // A control character in a value is refused before anything is claimed (admission refuses it for every run too).
        const unreadable = controlCharacterParameter(request.body.parametros ?? {});
        if (unreadable !== undefined) {
          throw new RunRefusedError('CONTROL_CHARACTER', `parameter ${unreadable} holds a control character`, { name: unreadable });
        }
        // One key for the whole event: the body's chaveIdempotencia, else the Idempotency-Key header stands for it, so a
        // replay with either is answered from the first attempt (deduplicated) by the change event's claim.
        const chaveIdempotencia = request.body.chaveIdempotencia ?? request.headers['idempotency-key'];
        const integracoes = await listIntegracoes(database.db, request.tenant);
        // Any integration's table counts as known (an inactive one too): the CRM may report it before it is switched on.
        const setTables = integracoes.flatMap((row) => (row.tabela ? [row.tabela] : []));
        const tabela = request.body.tabela.toLowerCase();
        const candidates = integracoes.filter((row) => isRunnableOn(row, 'set') && (row.tabela ?? '').trim().toLowerCase() === tabela);
        // The SET fan-out (admitRun for each candidate), run by the change event once per idempotency key.
        const runSetIntegrations = async () => {
          // The changed row's id is offered under the parameter its table's integrations take (contas → contaId).
          const parametros = changeParametros(request.body.tabela, request.body.id, request.body.parametros ?? {});
          const tenant = { empresaId: request.tenant.empresaId, filialId: request.tenant.filialId };
          const jobs: { integracaoId: number; jobId: string }[] = [];
          // The changed row must be one the caller can see (its empresa, and its filial for a filial key), as the run
          // would read it: another tenant's id is skipped with the reason, not enqueued to fail later.
          // This is the request's only read of the row for SET: admission (admitRun) reads configuration, not the row,
          // and the SET job reads it in worker-set when it runs (another process, later: it must read it again). The
          // request's other read, publishChange's (packages/webhooks), comes after this fan-out, on the four webhook
          // tables only, not under captureByTriggers, and reads the whole row as it is at publish time for the payload;
          // sharing it would mean reading before the SET enqueue and threading the row through receiveChangeEvent into
          // publishChange, coupling the two engines to save one primary-key lookup, so both keep their own read.
          const { id } = request.body;
          if (candidates.length && id !== undefined && (await rowVisibleTo(database.db, tenant, tabela, id)) === false) {
            const motivo = { code: 'ROW_NOT_VISIBLE' as const, params: { tabela: request.body.tabela, id: String(id) } };
            const skipped: SkippedRun[] = candidates.map((row) => ({ integracaoId: row.id, missing: [], motivo }));
            return { jobs, skipped, refused: [] as RefusedRun[] };
          }
          const { plans, skipped, refused } = await admitAll(
            database,
            tenant,
            candidates.map((row) => row.id),
            parametros,
            options.connections,
          );
          for (const [integracaoId, plan] of plans) {
            try {
              const runRequest = { tenant, integracaoId, parametros, trigger: 'event' as const, idempotencyKey: chaveIdempotencia };
              const run = await enqueuePlannedRun(producer, runRequest, plan);
              jobs.push({ integracaoId, jobId: run.jobId });
            } catch (err) {
              if (!(err instanceof StepQueueUnavailableError)) throw err;
              refused.push(refusedRun(integracaoId, err));
            }
          }
          return { jobs, skipped, refused };
        };
        const event = { ...request.body, chaveIdempotencia };
        const result = await receiveChange(database, producer, request.tenant, event, runSetIntegrations, {
          captureByTriggers: options.captureByTriggers,
          setTables,
          setRunsWithoutParameters: candidates.some((row) => requiredParameters(row).length === 0),
          locale,
        });
        // The stored answer keeps the skip's and the refusal's code; each is worded in this request's language.
        const skipped = result.skipped.map(({ motivo, ...rest }) =>
          motivo ? { ...rest, motivo: { code: motivo.code, message: runRefusalMessage(locale, motivo) } } : rest,
        );
        const refused = result.refused.map(({ motivo, ...rest }) =>
          motivo ? { ...rest, message: message(locale, motivo.code, motivo.params) } : rest,
        );
        return reply.status(202).send({ ...result, skipped, refused });
      },
    );
  };
}
