import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { tenantFailureReason } from '@integrador/cti';
import { failureText as recordedFailureText } from '@integrador/integrador';
import { maxAttemptsOf, RECEPTOR_BACKOFF, type RetryPolicy, type TenantRef } from '@integrador/jobs';
import { type JobProducer, recordedFailure } from '@integrador/queue';
import { type CrmDatabase, readableBy, type Tenant, withoutConnectionsFileDetail } from '@integrador/store';
import type { Job } from 'bullmq';
import { HttpError } from '../http-error';
import { type Locale, localeOf } from '../i18n';
import { jobFlowState } from '../job-flow-state';
import { EnqueuedResponse, ErrorResponse, IdempotencyHeaders, JobParams, JobResponse, PingBody } from '../schemas';

/** A job belongs to the caller when its empresa matches and its filial is readable (its own or the empresa-wide: readableBy). */
export function ownedBy(job: Job, tenant: Tenant): boolean {
  const owner = jobTenant(job);
  if (!owner || owner.empresaId !== tenant.empresaId) return false;
  return readableBy(tenant, owner.filialId);
}

/** The tenant a job was enqueued for (its payload's `tenant`), undefined when it carries none. */
export function jobTenant(job: Job): TenantRef | undefined {
  return (job.data as { tenant?: TenantRef } | undefined)?.tenant;
}

/** Jobs of the fair queues carry a fairness priority, so BullMQ calls such a queued job "prioritized": clients see "waiting". */
const publicState = (state: string) => (state === 'prioritized' ? 'waiting' : state);

const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : null);

/**
 * A failure (the job's or a blocking prerequisite's) worded in the request's language: the code its record keeps
 * (registro_jobs, within the tenant) words it, the message follows as the detail; without a matching record (not
 * written yet, the database unavailable) the message as is — a job's state never waits on the database. A code with a
 * tenant's wording (a click-to-call's PBX_SECRET_MISSING: whom to ask, not what to set) reads as GET /v1/cti/calls'
 * motivo does, since the caller here is the tenant.
 */
export async function failureText(
  database: CrmDatabase,
  locale: Locale,
  job: { queue: string; jobId: string; empresaId: number },
  failedReason: string,
): Promise<string> {
  const recorded = await recordedFailure(database.db, job, failedReason).catch(() => undefined);
  const tenantWording = tenantFailureReason(locale, recorded?.code ?? null, recorded?.params ?? null);
  return tenantWording ?? recordedFailureText(locale, recorded?.code, recorded?.params, failedReason);
}

/** The retry policy of the connection of one of a tenant's integrations (undefined: none set, or not known here). */
export type ConnectionRetryLookup = (empresaId: number, integracaoId: number) => Promise<RetryPolicy | undefined>;

/**
 * The attempts a job gets. A SET push is enqueued with the ceiling (MAX_RECEPTOR_ATTEMPTS) and stopped by its
 * connection's policy when it fails (receptorBackoff), so its number comes from that connection, not from the job.
 */
async function maxAttemptsOfJob(job: Job, connectionRetry: ConnectionRetryLookup): Promise<number> {
  const { backoff } = job.opts;
  const integracaoId = (job.data as { integracaoId?: unknown }).integracaoId;
  const owner = (job.data as { tenant?: TenantRef }).tenant;
  const receptor = typeof backoff === 'object' && backoff.type === RECEPTOR_BACKOFF;
  if (!receptor || typeof integracaoId !== 'number' || !owner) return maxAttemptsOf(job.opts);
  return maxAttemptsOf(job.opts, await connectionRetry(owner.empresaId, integracaoId));
}

/** POST /v1/ping enqueues a no-op on a queue; GET /v1/jobs/:queue/:id follows any job of the tenant. */
export function jobsRoutes(
  producer: JobProducer,
  database: CrmDatabase,
  connectionRetry: ConnectionRetryLookup,
): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/ping',
      {
        schema: {
          tags: ['jobs'],
          summary: 'Enqueue a no-op job that proves the path to a worker',
          headers: IdempotencyHeaders,
          body: PingBody,
          response: {
            202: EnqueuedResponse,
            400: ErrorResponse,
            401: ErrorResponse,
            503: ErrorResponse,
          },
        },
      },
      async (request, reply) => {
        const { queue, sleepMs, note } = request.body;
        const tenant = { empresaId: request.tenant.empresaId, filialId: request.tenant.filialId };
        const { job, deduplicated } = await producer.enqueueIdempotent(
          queue,
          'system.ping',
          { tenant, sleepMs: sleepMs ?? 0, ...(note ? { note } : {}) },
          { tenant, scope: `ping-${queue}`, key: request.headers['idempotency-key'] },
        );
        return reply.status(202).send({ queue, jobId: String(job.id), deduplicated });
      },
    );

    app.get(
      '/jobs/:queue/:id',
      {
        schema: {
          tags: ['jobs'],
          summary: 'State and result of one job of the tenant (state blocked: a flow step waiting on a failed prerequisite)',
          params: JobParams,
          response: { 200: JobResponse, 400: ErrorResponse, 401: ErrorResponse, 404: ErrorResponse, 503: ErrorResponse },
        },
      },
      async (request) => {
        const { queue, id } = request.params;
        const read = await producer.getJob(queue, id);
        if (!read || !ownedBy(read, request.tenant)) throw new HttpError(404, 'NOT_FOUND');
        const flowState = await jobFlowState(producer, read, localeOf(request));
        // The job may have finished between the two reads: read it again so state and result agree.
        const finished = (flowState.state === 'completed' || flowState.state === 'failed') && !read.finishedOn;
        const job = (finished ? await producer.getJob(queue, id) : read) ?? read;
        const locale = localeOf(request);
        const { empresaId } = request.tenant;
        const { blockedBy } = flowState;
        // BullMQ keeps the last failed attempt's reason after a retry succeeded: a completed job has no current failure
        // (attemptsMade still shows the attempts it took).
        // A failure stored before connection errors were narrowed reads as they word it now (no file path, no other
        // customers' connection names), as its rewritten record does.
        const current = flowState.state === 'completed' ? undefined : withoutConnectionsFileDetail(job.failedReason);
        return {
          id: String(job.id),
          queue,
          name: job.name,
          ...flowState,
          blockedBy: blockedBy && {
            ...blockedBy,
            failedReason: withoutConnectionsFileDetail(blockedBy.failedReason),
            failedReasonText: await failureText(
              database,
              locale,
              { ...blockedBy, empresaId },
              withoutConnectionsFileDetail(blockedBy.failedReason),
            ),
          },
          // A prioritized job (fairness) is waiting as far as the caller is concerned.
          state: publicState(flowState.state),
          flow: (job.data as { flow?: unknown }).flow ?? null,
          attemptsMade: job.attemptsMade,
          maxAttempts: await maxAttemptsOfJob(job, connectionRetry),
          failedReason: current ?? null,
          failedReasonText: current ? await failureText(database, locale, { queue, jobId: id, empresaId }, current) : null,
          returnvalue: job.returnvalue ?? null,
          progress: job.progress ?? null,
          createdAt: new Date(job.timestamp).toISOString(),
          finishedAt: iso(job.finishedOn),
        };
      },
    );
  };
}
