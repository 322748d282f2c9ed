import {
  type JobName,
  type JobPayload,
  JobPayloadError,
  type QueueName,
  receptorBackoff,
  type TenantRef,
  validatePayload,
} from '@integrador/jobs';
import type { Logger } from '@integrador/logging';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { handleFlowCompletion, handleFlowFailure } from './flows/flow-failures';
import { flowStepOf, openFlowGate } from './flows/flow-gate';
import type { FlowValues } from './flows/flow-values';
import { JobLogWriter } from './job-log-writer';
import type { JobObserver, ObservedJobEvent } from './job-observer';
import { queueOptions } from './job-producer';
import { FairnessLedger } from './limits/fairness';
import { runWithLimits } from './limits/run-with-limits';
import type { JobLimits, TenantLimiter } from './limits/tenant-limiter';
import { operatorRetriesOf, withoutOperatorRetries } from './operator-retries';
import { PermanentJobFailure, toJobFailure } from './permanent-failure';
import { redisErrors } from './redis-error-log';
import { splitRequestId } from './request-context';
import { holdPausedJob, PausedTenants } from './tenant-pause';
import { OutcomeCounter } from './tenant-stats';

/** What a handler gets besides its validated payload. */
export interface JobContext {
  job: Job;
  /** The job's lock token (for job.moveToDelayed when a job must wait without using an attempt). */
  token: string | undefined;
  /** Aborted when the worker is force-closed; long handlers should pass it on to their I/O. */
  signal: AbortSignal | undefined;
  logger: Logger;
  /** In a dependency flow: the values the steps before this one produced (flows/flow-values.ts); else undefined. */
  upstream?: FlowValues | undefined;
  /** Per-tenant rate limits and concurrency caps, shared by every worker process (see limits/). */
  limits: JobLimits;
  /** How many times an operator retried the job (operator-retries.ts): 0 until the first retry. */
  operatorRetries: number;
  /** Appends a line to the job's log (job.log's list), batched with other jobs' lines and never awaited. */
  log(line: string): void;
  /** Whether another job of this queue ended (completed, or failed for good) or no longer exists: one Redis read. */
  jobEnded(jobId: string): Promise<boolean>;
  /** Whether another job of this queue no longer exists (removed: discarded, or trimmed by removeOnFail): one Redis read. */
  jobGone(jobId: string): Promise<boolean>;
}

/** Processes one job kind: `(payload, ctx) => result`; errors marked `permanent: true` fail the job without retries. */
export type JobHandler<P> = (payload: P, ctx: JobContext) => Promise<unknown>;

/** A handler for every job name of a queue; a missing one is a compile error. */
export type QueueHandlers<Q extends QueueName> = { [N in JobName<Q>]: JobHandler<JobPayload<Q, N>> };

export interface QueueWorkerOptions<Q extends QueueName> {
  queue: Q;
  handlers: QueueHandlers<Q>;
  /** A worker-role connection (maxRetriesPerRequest: null). */
  connection: Redis;
  prefix: string;
  concurrency: number;
  /** Lock duration and stalled check interval (BullMQ's default is 30 s). */
  lockMs?: number;
  logger: Logger;
  /** Per-tenant limits; without one, jobs run unlimited. */
  limiter?: TenantLimiter;
  /** Called once a job failed for good (no attempts left, permanent error, stalled too often), e.g. to close its records. */
  onFinalFailure?: (job: Job, err: Error) => Promise<void>;
  /** Told of each job's start, delay, completion and failure (the dashboard's job records); never awaited, except a stalled job's start (onDurableStart, bounded to 2 s). */
  observer?: JobObserver;
}

/**
 * How often a job may stall (its worker died or froze past the lock) before BullMQ fails it for good. BullMQ's default
 * of 1 fails a long GET pull at the second crash or database blip of one run, although every job here resumes safely
 * (chunks commit with their cursor, SET records go through the outbox): a few more recoveries cost nothing.
 */
export const MAX_STALLED_COUNT = 5;

/** A job's hash gone (removed) or with finishedOn (completed, or failed with no retry left). */
async function jobEnded(connection: Redis, jobKey: string): Promise<boolean> {
  const [exists, finishedOn] = await Promise.all([connection.exists(jobKey), connection.hget(jobKey, 'finishedOn')]);
  return exists === 0 || Boolean(finishedOn);
}

function tenantOf(job: Job): TenantRef | undefined {
  const tenant = (job.data as { tenant?: TenantRef } | undefined)?.tenant;
  return tenant && typeof tenant.empresaId === 'number' ? tenant : undefined;
}

/** True when this failure is the job's last (no attempts left, a permanent error, or a backoff that said stop). */
function isFinalFailure(job: Job, err: Error): boolean {
  return (
    err instanceof UnrecoverableError ||
    err.name === 'UnrecoverableError' ||
    job.attemptsMade >= (job.opts.attempts ?? 1) ||
    // BullMQ sets finishedOn only when it did not retry (e.g. receptorBackoff answered -1 before the attempts ceiling).
    job.finishedOn !== undefined
  );
}

/**
 * Starts a BullMQ worker for one queue: validates each payload again when taken (a bad one fails for good,
 * without retries), dispatches by job name and counts outcomes per tenant. Rate limits and
 * dependency flows wrap `dispatch` here; limits run through runWithLimits.
 */
export function startQueueWorker<Q extends QueueName>(options: QueueWorkerOptions<Q>): Worker {
  const { queue, handlers, connection, prefix, logger } = options;
  const table = handlers as unknown as Record<string, JobHandler<unknown>>;
  const observe = (event: Omit<ObservedJobEvent, 'queue'>) => {
    try {
      options.observer?.onJobEvent({ queue, ...event });
    } catch (err) {
      logger.warn({ err, jobId: event.job.id }, 'job observer failed');
    }
  };

  // Read in memory per job: the paused tenants reread every second, the outcome counters written every 100 ms.
  const paused = new PausedTenants(connection, prefix, (err) =>
    redisErrors.report(logger, err as Error, {}, 'paused tenants reload failed'),
  );
  const outcomes = new OutcomeCounter(connection, prefix, (err) => logger.warn({ err }, 'stats update failed'));
  const jobLogs = new JobLogWriter(connection, (err) => logger.warn({ err }, 'job log write failed'));

  /** A stalled job's start (its last worker died running it): recorded before it runs again (JobObserver.onDurableStart). */
  const observeDurableStart = async (job: Job) => {
    const observer = options.observer;
    if (!observer?.onDurableStart) return observe({ job, kind: 'started' });
    try {
      await observer.onDurableStart({ queue, job, kind: 'started' });
    } catch (err) {
      logger.warn({ err, jobId: job.id }, 'job observer failed');
    }
  };

  const dispatch = async (job: Job, token?: string, signal?: AbortSignal): Promise<unknown> => {
    if (job.stalledCounter > 0) await observeDurableStart(job);
    else observe({ job, kind: 'started' });
    let payload: unknown;
    const { payload: data, reqId } = splitRequestId(withoutOperatorRetries(job.data));
    const jobLogger = logger.child({ jobId: job.id, job: job.name, ...(reqId ? { reqId } : {}) });
    try {
      payload = validatePayload(queue, job.name, data);
    } catch (err) {
      // The same payload fails the same way on every attempt: final, keeping its class and code for the job's record.
      if (err instanceof JobPayloadError) throw new PermanentJobFailure(err);
      throw err;
    }
    const handler = table[job.name];
    if (!handler) throw new UnrecoverableError(`no handler for job ${queue}/${job.name}`);
    // A paused tenant's job is not taken (tenant-pause.ts): it waits, without using an attempt, until the resume.
    const tenant = tenantOf(job);
    if (tenant && (await paused.isPaused(tenant.empresaId))) {
      const held = await holdPausedJob(connection, prefix, job, token, tenant.empresaId);
      observe({ job, kind: 'delayed', error: held });
      throw held;
    }
    // A flow step runs only once its prerequisite completed (flows/flow-gate.ts); then the tenant's limits apply.
    const upstream = await openFlowGate(job, connection, prefix);
    try {
      jobLogger.debug('job started');
      const result = await runWithLimits(options.limiter, queue, job, token, tenant, (limits) =>
        handler(payload, {
          job,
          token,
          signal,
          upstream,
          logger: jobLogger,
          limits,
          operatorRetries: operatorRetriesOf(job.data),
          log: (line) => jobLogs.append(job, line),
          jobEnded: (jobId) => jobEnded(connection, `${prefix}:${queue}:${jobId}`),
          jobGone: async (jobId) => (await connection.exists(`${prefix}:${queue}:${jobId}`)) === 0,
        }),
      );
      jobLogger.debug('job completed');
      return result;
    } catch (err) {
      // A job moved to delayed by a limit fires no worker event: report it here.
      if (err instanceof Error && err.name === 'DelayedError') observe({ job, kind: 'delayed', error: err });
      // Handlers do not catch: a permanent error (permanent-failure.ts) fails the job for good here, once.
      throw toJobFailure(err);
    }
  };

  const worker = new Worker(queue, dispatch, {
    ...queueOptions(connection, prefix),
    concurrency: options.concurrency,
    maxStalledCount: MAX_STALLED_COUNT,
    // SET pushes retry as the failing connection's policy says (packages/jobs/src/retry-policy.ts).
    settings: { backoffStrategy: (attemptsMade: number, _type?: string, err?: Error) => receptorBackoff(attemptsMade, err) },
    ...(options.lockMs ? { lockDuration: options.lockMs, stalledInterval: options.lockMs } : {}),
  });

  const fairness = new FairnessLedger(connection, prefix);
  worker.on('closed', () => {
    paused.close();
    fairness.flush().catch((err) => logger.warn({ err }, 'fairness update failed'));
    void outcomes.flush();
    void jobLogs.flush();
  });
  worker.on('completed', (job) => {
    const tenant = tenantOf(job);
    if (tenant) outcomes.count(queue, tenant, 'completed');
    fairness.ended(queue, job);
    observe({ job, kind: 'completed' });
    if (flowStepOf(job)) {
      handleFlowCompletion(connection, prefix, queue, job).catch((err) => logger.warn({ err }, 'flow bookkeeping failed'));
    }
  });
  worker.on('failed', (job, err) => {
    if (!job) return;
    const tenant = tenantOf(job);
    const final = isFinalFailure(job, err);
    observe({ job, kind: 'failed', final, error: err });
    logger.warn(
      {
        queue,
        jobId: job.id,
        job: job.name,
        reqId: splitRequestId(job.data).reqId,
        empresaId: tenant?.empresaId,
        attempt: job.attemptsMade,
        final,
        reason: err.message,
        ...logDetailOf(err),
      },
      'job failed',
    );
    if (final && tenant) outcomes.count(queue, tenant, 'failed');
    if (final) {
      fairness.ended(queue, job);
      handleFlowFailure(connection, prefix, queue, job, err.message, err).catch((e) => logger.warn({ err: e }, 'flow bookkeeping failed'));
      options.onFinalFailure?.(job, err).catch((e) => logger.warn({ err: e, jobId: job.id }, 'final failure bookkeeping failed'));
    }
  });
  worker.on('stalled', (jobId) => logger.warn({ queue, jobId }, 'job stalled, will run again'));
  worker.on('error', (err) => redisErrors.report(logger, err, { queue }, 'worker error', 'error'));
  return worker;
}

/**
 * What an error keeps for the fleet's operator only (`logDetail`: a connections file's path and the names it defines),
 * on it or on the cause a permanent failure wraps: logged here, never stored in the job's record.
 */
function logDetailOf(err: Error): { detail?: string } {
  const detail = (err as { logDetail?: unknown }).logDetail ?? (err.cause as { logDetail?: unknown } | undefined)?.logDetail;
  return typeof detail === 'string' ? { detail } : {};
}
