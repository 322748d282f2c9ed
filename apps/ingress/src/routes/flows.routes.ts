import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { WEBHOOK_DELIVERED_NO_RETRY, WEBHOOK_ENDPOINT_DELETED_NO_RETRY, WEBHOOK_ENDPOINT_DISABLED_NO_RETRY } from '@integrador/jobs';
import { type BlockedEntry, type JobProducer, jobStateName, readLiveBlocked, retryFailedJob, withRedisDeadline } from '@integrador/queue';
import { assertChangeableBy, type CrmDatabase, changeableBy, type Tenant, withoutConnectionsFileDetail } from '@integrador/store';
import { deliveryRetryRefusal } from '@integrador/webhooks';
import { Type } from '@sinclair/typebox';
import type { Redis } from 'ioredis';
import { HttpError } from '../http-error';
import { localeOf } from '../i18n';
import { ErrorResponse, JobParams } from '../schemas';
import { failureText, jobTenant, ownedBy } from './jobs.routes';

const NullableId = () => Type.Union([Type.Integer(), Type.Null()]);

const BlockedFlow = Type.Object({
  queue: Type.String(),
  jobId: Type.String({ description: 'the failed prerequisite; retry it to resume the flow' }),
  integracaoId: NullableId(),
  failedReason: Type.String(),
  failedReasonText: Type.String({ description: 'failedReason worded in the request language (see JobResponse.failedReasonText)' }),
  failedAt: Type.String(),
  dependents: Type.Array(Type.Object({ queue: Type.String(), jobId: Type.String(), integracaoId: NullableId() }), {
    description: 'the jobs waiting on it, nearest first',
  }),
});

/**
 * A blocked flow is listed to the keys that can resume it (retry its failed job): the empresa's, and under the filial
 * rule's change half (changeableBy) a filial key for its own filial's flows only — not the empresa-wide ones it reads.
 */
function visibleTo(entry: BlockedEntry, tenant: Tenant): boolean {
  return entry.empresaId === tenant.empresaId && changeableBy(tenant, entry.filialId);
}

/** A redis-reading call of the ingress answers 503 instead of hanging while Redis is down. */
function timely<T>(operation: Promise<T>, what: string): Promise<T> {
  return withRedisDeadline(operation, 2000, what);
}

/**
 * GET /v1/flows/blocked lists the tenant's dependency flows that wait on a failed prerequisite;
 * POST /v1/jobs/:queue/:id/retry retries one of the tenant's failed jobs (a blocked flow resumes from it).
 */
export function flowsRoutes(producer: JobProducer, redis: Redis, database: CrmDatabase): FastifyPluginAsyncTypebox {
  const prefix = () => producer.queue('set').opts.prefix ?? '';
  // A webhook delivery job whose delivery was delivered since is not retried (409 WEBHOOK_ALREADY_DELIVERED).
  const refusal = deliveryRetryRefusal(database.db);
  return async (app) => {
    app.get(
      '/flows/blocked',
      {
        schema: {
          tags: ['jobs'],
          summary: "The tenant's dependency flows blocked by a failed prerequisite, oldest first",
          response: { 200: Type.Object({ items: Type.Array(BlockedFlow) }), 401: ErrorResponse, 503: ErrorResponse },
        },
      },
      async (request) => {
        await producer.guard.ensureUsable();
        const entries = await timely(readLiveBlocked(redis, prefix()), 'read blocked flows');
        const locale = localeOf(request);
        const visible = entries.filter((entry) => visibleTo(entry, request.tenant));
        const items = await Promise.all(
          visible.map(async (entry) => {
            const failedReason = withoutConnectionsFileDetail(entry.reason);
            const job = { queue: entry.queue, jobId: entry.jobId, empresaId: entry.empresaId };
            return {
              queue: entry.queue,
              jobId: entry.jobId,
              integracaoId: entry.integracaoId,
              failedReason,
              // As the jobs routes word it (trial 4 #8): the reason in the request's language, the English one beside it.
              failedReasonText: await failureText(database, locale, job, failedReason),
              failedAt: new Date(entry.failedAt).toISOString(),
              dependents: entry.dependents,
            };
          }),
        );
        return { items };
      },
    );

    app.post(
      '/jobs/:queue/:id/retry',
      {
        schema: {
          tags: ['jobs'],
          summary: 'Retry one of the tenant’s failed jobs (attempts start again); a flow blocked by it resumes',
          params: JobParams,
          response: {
            202: Type.Object({ queue: Type.String(), jobId: Type.String(), state: Type.String() }),
            400: ErrorResponse,
            401: ErrorResponse,
            403: ErrorResponse,
            404: ErrorResponse,
            409: ErrorResponse,
            503: ErrorResponse,
          },
        },
      },
      async (request, reply) => {
        const { queue, id } = request.params;
        const job = await producer.getJob(queue, id);
        if (!job || !ownedBy(job, request.tenant)) throw new HttpError(404, 'NOT_FOUND');
        // A retry changes the job: a filial key reads the empresa-wide jobs but retries only its own filial's (403 FILIAL_SCOPE).
        assertChangeableBy(request.tenant, jobTenant(job)?.filialId ?? null, `job ${queue}/${id}`);
        const outcome = await retryFailedJob(job, redis, prefix(), undefined, refusal);
        if (!outcome.retried && outcome.notRetryable === WEBHOOK_DELIVERED_NO_RETRY)
          throw new HttpError(409, 'WEBHOOK_ALREADY_DELIVERED', { queue, id });
        if (!outcome.retried && outcome.notRetryable === WEBHOOK_ENDPOINT_DISABLED_NO_RETRY)
          throw new HttpError(409, 'WEBHOOK_ENDPOINT_DISABLED', { queue, id });
        if (!outcome.retried && outcome.notRetryable === WEBHOOK_ENDPOINT_DELETED_NO_RETRY)
          throw new HttpError(409, 'WEBHOOK_ENDPOINT_DELETED', { queue, id });
        // A kind that takes no operator retry (a click-to-call: a new click is the one useful action).
        if (!outcome.retried && outcome.notRetryable) throw new HttpError(409, 'JOB_NOT_RETRYABLE', { queue, id });
        if (!outcome.retried) {
          // {estado} fills the pt-BR message, {state} the English one (BullMQ's own name).
          const estado = jobStateName('pt-BR', outcome.state);
          throw new HttpError(409, 'JOB_NOT_FAILED', { queue, id, state: outcome.state, estado });
        }
        return reply.status(202).send({ queue, jobId: id, state: 'waiting' });
      },
    );
  };
}
