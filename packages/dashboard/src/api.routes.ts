import { countJobRecords, customerSearchNeedsEmpresa, listAudit, searchJobRecords } from '@integrador/store';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { canAct, sendError, viewerOf } from './access';
import {
  BULK_LIMIT,
  BulkCountChangedError,
  discardJobs,
  type JobRef,
  NoScheduleError,
  pauseSchedule,
  pauseTenant,
  retryJobs,
  retryMatching,
  runNow,
} from './actions';
import {
  ActionResultResponse,
  AuditResponse,
  actionErrors,
  CountsResponse,
  EnqueuedResponse,
  ErrorBody,
  JobDetailResponse,
  JobSearchResponse,
  RowId,
  readErrors,
  SchedulePausedResponse,
  TenantPausedResponse,
} from './api.schemas';
import type { DashboardDeps } from './deps';
import { messages } from './i18n';
import { FILTER_PROPERTIES } from './job-filter';
import { maskRecord } from './mask';
import { previewer } from './pages.routes';
import { jobDetail, lastHourCounts, visibleFilterOf } from './queries';
import { wordedFailure } from './views/pages';

type Query = Record<string, string | undefined>;

// A filter the search cannot apply is refused (400 naming it), never ignored: a script believing it filtered by date
// must not act on every job. One set of properties for the search and the bulk retry (job-filter.ts).
const JobSearchQuery = {
  type: 'object',
  properties: {
    ...FILTER_PROPERTIES,
    limit: { type: 'string', pattern: '^\\d{0,6}$' },
    offset: { type: 'string', pattern: '^\\d{0,9}$' },
    lang: { type: 'string' },
  },
} as const;

const JobRefs = {
  type: 'array',
  maxItems: 1000,
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['queue', 'id'],
    properties: {
      queue: { type: 'string', maxLength: 20, pattern: '^[^\\u0000]*$' },
      id: { type: 'string', maxLength: 100, pattern: '^[^\\u0000]*$' },
    },
  },
} as const;

// The bulk retry acts on the failed ones: its filter has no estado.
// The bulk retry's filter is the search's, `estado` included (only its failed states are retried: retryMatching).
const FilterSchema = { type: 'object', additionalProperties: false, properties: FILTER_PROPERTIES } as const;

/** Leitores read only: every action answers 403 for them. */
function refuseReader(request: FastifyRequest, reply: FastifyReply): boolean {
  const viewer = viewerOf(request);
  if (canAct(viewer)) return false;
  sendError(reply, 403, 'FORBIDDEN', messages(viewer.locale).forbidden);
  return true;
}

/**
 * The dashboard's JSON API, for its live updates and for scripts (Authorization: Bearer <tenant API key>, scoped to
 * that tenant): counts, search, one job's detail, retry / discard / run now, the audit log.
 */
export function apiRoutes(deps: DashboardDeps): FastifyPluginAsync {
  const preview = previewer(deps);
  return async (app) => {
    const tags = ['dashboard'];
    app.get(
      '/dashboard/api/counts',
      { schema: { tags, summary: "Last hour's job counts per state (live updates)", response: { 200: CountsResponse, 401: ErrorBody } } },
      async (request) => ({ lastHour: await lastHourCounts(deps.database, viewerOf(request)) }),
    );

    app.get(
      '/dashboard/api/jobs',
      {
        schema: {
          tags,
          summary: 'Search the recorded jobs (failed ones by default)',
          querystring: JobSearchQuery,
          response: { 200: JobSearchResponse, 400: ErrorBody, ...readErrors },
        },
      },
      async (request, reply) => {
        const query = request.query as Query;
        const viewer = viewerOf(request);
        const filter = visibleFilterOf(viewer, query);
        if (!filter) return sendError(reply, 404, 'NOT_FOUND', messages(viewer.locale).notFound);
        const limit = Math.min(Number(query.limit ?? 50) || 50, 500);
        const offset = Math.max(Number(query.offset ?? 0) || 0, 0);
        const [items, total] = await Promise.all([
          searchJobRecords(deps.database.db, filter, limit, offset),
          countJobRecords(deps.database.db, filter, BULK_LIMIT),
        ]);
        // Counted up to one bulk retry's worth: above it the total says "more than BULK_LIMIT".
        // erro_motivo: the code's reason worded in the viewer's language (null for a code the catalogue does not word).
        const { locale } = viewer;
        const shown = items.map((item) => ({
          ...maskRecord(item),
          erro_motivo: wordedFailure(locale, item) ?? null,
        }));
        return {
          total: Math.min(total, BULK_LIMIT),
          totalCapped: total > BULK_LIMIT,
          customerSearchNeedsEmpresa: customerSearchNeedsEmpresa(filter, filter.texto ?? ''),
          items: shown,
        };
      },
    );

    app.get(
      '/dashboard/api/jobs/:queue/:id',
      {
        schema: {
          tags,
          summary: "One job's record, attempts, preview, chain and log",
          params: {
            type: 'object',
            properties: { queue: { type: 'string', maxLength: 20 }, id: { type: 'string', minLength: 1, maxLength: 200 } },
          },
          response: { 200: JobDetailResponse, 400: ErrorBody, ...readErrors },
        },
      },
      async (request, reply) => {
        const { queue, id } = request.params as { queue: string; id: string };
        const viewer = viewerOf(request);
        const detail = await jobDetail(deps.database, deps.producer, viewer, queue, id, preview);
        if (!detail) return sendError(reply, 404, 'NOT_FOUND', messages(viewer.locale).notFound);
        const erro_motivo = wordedFailure(viewer.locale, detail.record) ?? null;
        // The page's lookups (names by "empresa/id") are Maps, not JSON: the API gives the record and its ids.
        const { names: _names, ...shown } = detail;
        return { ...shown, record: { ...detail.record, erro_motivo } };
      },
    );

    app.post(
      '/dashboard/api/jobs/retry',
      {
        schema: {
          tags,
          summary:
            'Retry failed jobs: a selection, or every one matching a filter (up to 5000; with `expected`, another count: 409 BULK_COUNT_CHANGED); one named job that has not failed: 409 JOB_NOT_FAILED; a failed click-to-call (no operator retry: the click has expired), or a webhook delivery job whose delivery was delivered since: 409 JOB_NOT_RETRYABLE',
          response: { 200: ActionResultResponse, ...actionErrors, 409: ErrorBody },
          body: {
            type: 'object',
            additionalProperties: false,
            properties: {
              jobs: JobRefs,
              filter: FilterSchema,
              // The count the caller was shown (its search's total of failed jobs): another count now retries nothing (409).
              expected: { type: 'integer', minimum: 0 },
              _csrf: { type: 'string' },
            },
          },
        },
      },
      async (request, reply) => {
        if (refuseReader(request, reply)) return;
        const body = request.body as { jobs?: JobRef[]; filter?: Query; expected?: number };
        const viewer = viewerOf(request);
        if (body.filter) {
          const visible = visibleFilterOf(viewer, body.filter, 'body.filter.');
          if (!visible) return sendError(reply, 404, 'NOT_FOUND', messages(viewer.locale).notFound);
          const { scope: _s, ...filter } = visible;
          try {
            return await retryMatching(deps, viewer, filter, body.expected);
          } catch (err) {
            if (!(err instanceof BulkCountChangedError)) throw err;
            return sendError(reply, 409, err.code, messages(viewer.locale).bulkCountChanged(err.expected, err.found));
          }
        }
        return retryJobs(deps, viewer, body.jobs ?? []);
      },
    );

    app.post(
      '/dashboard/api/jobs/discard',
      {
        schema: {
          tags,
          summary: 'Discard failed jobs; one named job that has not failed: 409 JOB_NOT_FAILED',
          response: { 200: ActionResultResponse, ...actionErrors, 409: ErrorBody },
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['jobs'],
            properties: { jobs: JobRefs, _csrf: { type: 'string' } },
          },
        },
      },
      async (request, reply) => {
        if (refuseReader(request, reply)) return;
        return discardJobs(deps, viewerOf(request), (request.body as { jobs: JobRef[] }).jobs);
      },
    );

    app.post(
      '/dashboard/api/integrations/:id/run',
      {
        schema: {
          tags,
          summary: 'Run an integration now (admitted by the engine)',
          response: { 202: EnqueuedResponse, ...actionErrors, 409: ErrorBody, 422: ErrorBody },
          params: { type: 'object', properties: { id: RowId } },
          body: {
            type: 'object',
            additionalProperties: false,
            properties: {
              empresaId: RowId,
              // Named as ingress's run parameters (a '$' never: a record keeps its failure's values under `$erro`).
              parametros: {
                type: 'object',
                propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
                additionalProperties: { anyOf: [{ type: 'string' }, { type: 'number' }] },
                maxProperties: 50,
              },
              _csrf: { type: 'string' },
            },
          },
        },
      },
      async (request, reply) => {
        if (refuseReader(request, reply)) return;
        const viewer = viewerOf(request);
        const { id } = request.params as { id: number };
        const parametros = (request.body as { parametros?: Record<string, string | number> } | undefined)?.parametros ?? {};
        const empresaId =
          (request.body as { empresaId?: number } | undefined)?.empresaId ?? (viewer.scope === 'all' ? undefined : viewer.scope[0]);
        const run = empresaId ? await runNow(deps, viewer, empresaId, id, parametros) : undefined;
        if (!run) return sendError(reply, 404, 'NOT_FOUND', messages(viewer.locale).notFound);
        return reply.status(202).send({ queue: run.queue, jobId: run.jobId });
      },
    );

    app.post(
      '/dashboard/api/schedules/:id/:action',
      {
        schema: {
          tags,
          summary: 'Pause or resume a GET schedule (a GET with no schedule — no cron, inactive or a componente: 409 NO_SCHEDULE)',
          response: { 200: SchedulePausedResponse, ...actionErrors, 409: ErrorBody },
          params: {
            type: 'object',
            properties: { id: RowId, action: { type: 'string', enum: ['pause', 'resume'] } },
          },
          body: {
            type: 'object',
            additionalProperties: false,
            properties: { empresaId: RowId, _csrf: { type: 'string' } },
          },
        },
      },
      async (request, reply) => {
        if (refuseReader(request, reply)) return;
        const viewer = viewerOf(request);
        const { id, action } = request.params as { id: number; action: 'pause' | 'resume' };
        const empresaId =
          (request.body as { empresaId?: number } | undefined)?.empresaId ?? (viewer.scope === 'all' ? undefined : viewer.scope[0]);
        let ok = false;
        try {
          ok = empresaId ? await pauseSchedule(deps, viewer, empresaId, id, action === 'pause') : false;
        } catch (err) {
          if (!(err instanceof NoScheduleError)) throw err;
          return sendError(reply, 409, err.code, messages(viewer.locale).noSchedule(err.integracaoId));
        }
        if (!ok) return sendError(reply, 404, 'NOT_FOUND', messages(viewer.locale).notFound);
        return { integracaoId: id, paused: action === 'pause' };
      },
    );

    app.post(
      '/dashboard/api/tenants/:id/:action',
      {
        schema: {
          tags,
          summary: 'Pause or resume a whole tenant',
          response: { 200: TenantPausedResponse, ...actionErrors },
          params: {
            type: 'object',
            properties: { id: RowId, action: { type: 'string', enum: ['pause', 'resume'] } },
          },
          body: { type: 'object', additionalProperties: false, properties: { _csrf: { type: 'string' } } },
        },
      },
      async (request, reply) => {
        if (refuseReader(request, reply)) return;
        const viewer = viewerOf(request);
        const { id, action } = request.params as { id: number; action: 'pause' | 'resume' };
        if (!(await pauseTenant(deps, viewer, id, action === 'pause')))
          return sendError(reply, 404, 'NOT_FOUND', messages(viewer.locale).notFound);
        return { empresaId: id, paused: action === 'pause' };
      },
    );

    app.get(
      '/dashboard/api/audit',
      {
        schema: {
          tags,
          summary: 'The audit log of the tenants the viewer sees',
          querystring: { type: 'object', properties: { limit: { type: 'string', pattern: '^\\d{0,6}$' }, lang: { type: 'string' } } },
          response: { 200: AuditResponse, 400: ErrorBody, 401: ErrorBody },
        },
      },
      async (request) => {
        const limit = Math.min(Number((request.query as Query).limit ?? 100) || 100, 1000);
        return { items: await listAudit(deps.database.db, viewerOf(request).scope, limit) };
      },
    );
  };
}
