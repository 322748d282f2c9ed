import { randomUUID } from 'node:crypto';
import type { EndpointSyncPayload, IntegrationRunPayload } from '@integrador/jobs';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { idempotentJobId } from './idempotency';
import type { JobProducer } from './job-producer';
import type { JobContext, JobHandler } from './queue-worker';

/**
 * One GET run at a time per integration: every integration.run job of the get queue holds the BullMQ deduplication
 * key `<prefix>:get:de:<this id>` while it is waiting or active. Enqueued jobs (API, CLI) take it through BullMQ's
 * `deduplication` option, which releases it when the job completes or fails for good; scheduler-produced jobs
 * (BullMQ schedulers accept no deduplication option) take it when they start — see claimRunOrSkip.
 */
export function getRunDeduplicationId(empresaId: number, integracaoId: number): string {
  return `get-run-e${empresaId}-i${integracaoId}`;
}

/** An enqueued GET run: the job, and whether it is one already waiting or running (deduplicated). */
export interface EnqueuedRun {
  job: Job;
  deduplicated: boolean;
}

function deduplicationKey(prefix: string, id: string): string {
  return `${prefix}:get:de:${id}`;
}

/**
 * Takes the key when it is free, already ours, or held by a job that has finished or no longer exists (a worker that
 * died mid-run leaves it behind); otherwise answers the holder's id. KEYS[1] key; ARGV[1] job id, ARGV[2] job key prefix.
 */
const CLAIM = `
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then
  local jobKey = ARGV[2] .. holder
  if redis.call('EXISTS', jobKey) == 1 and not redis.call('HGET', jobKey, 'finishedOn') then return holder end
end
redis.call('SET', KEYS[1], ARGV[1])
return ''`;

/** Deletes the key only while it still names this job. KEYS[1] key; ARGV[1] job id. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

async function holderIsFinished(producer: JobProducer, holderId: string): Promise<boolean> {
  const holder = await producer.getJob('get', holderId);
  return !holder || Boolean(holder.finishedOn);
}

/**
 * Enqueues a GET run unless one of the same integration is waiting or running, in which case that job is answered
 * with deduplicated = true (nothing new is added); so is a replay of the idempotency key, whatever its job's state. A key left behind by a finished job is cleared and the add retried.
 */
export async function enqueueGetRun(
  producer: JobProducer,
  payload: IntegrationRunPayload,
  options: { idempotencyKey?: string } = {},
): Promise<EnqueuedRun> {
  const id = getRunDeduplicationId(payload.tenant.empresaId, payload.integracaoId);
  // A retried request with the same key names the same job, so it finds the run its first attempt started.
  const own = options.idempotencyKey ? idempotentJobId(payload.tenant, `run-i${payload.integracaoId}`, options.idempotencyKey) : undefined;
  for (let attempt = 0; ; attempt += 1) {
    // Our own job id tells a new job from the deduplicated one BullMQ hands back.
    const jobId = `${id}-${own ?? randomUUID()}`;
    const { job, deduplicated } = await producer.enqueueOnce('get', 'integration.run', payload, { jobId, deduplication: { id } });
    // A replay of the key answers its own first job; a key held by another job may be one left behind (checked once).
    const replay = String(job.id) === jobId;
    if (!deduplicated || replay || attempt > 0 || !(await holderIsFinished(producer, String(job.id)))) return { job, deduplicated };
    await producer.read('release a stale run key', () => producer.queue('get').removeDeduplicationKey(id));
  }
}

/** What a run that found another one of its integration in progress returns instead of running. */
export interface SkippedRun {
  skipped: true;
  reason: 'already-running';
  runningJobId: string;
}

/** True for the result of a run skipped because another was in progress. */
export function isSkippedRun(value: unknown): value is SkippedRun {
  return (value as SkippedRun | null | undefined)?.skipped === true;
}

/**
 * Wraps the get queue's integration.run handler so a scheduler's job (BullMQ schedulers take no deduplication
 * option) takes the integration's run key when it starts, and completes as skipped when another run holds it: a tick
 * that finds a pull under way has nothing to add. The key is released when the handler ends, whatever the outcome.
 * Other jobs that bypass enqueueGetRun (a dependency flow's) run as they are: the engine's lease makes them wait.
 */
export function oneRunPerIntegration(
  redis: Redis,
  prefix: string,
  handler: JobHandler<IntegrationRunPayload>,
): JobHandler<IntegrationRunPayload> {
  return async (payload: IntegrationRunPayload, ctx: JobContext) => {
    if (ctx.job.opts.deduplication?.id || payload.trigger !== 'schedule') return handler(payload, ctx);
    const key = deduplicationKey(prefix, getRunDeduplicationId(payload.tenant.empresaId, payload.integracaoId));
    const jobId = String(ctx.job.id);
    const holder = String(await redis.eval(CLAIM, 1, key, jobId, `${prefix}:get:`));
    if (holder !== '') {
      ctx.logger.info({ integracaoId: payload.integracaoId, runningJobId: holder }, 'run already in progress, skipped');
      return { skipped: true, reason: 'already-running', runningJobId: holder } satisfies SkippedRun;
    }
    try {
      return await handler(payload, ctx);
    } finally {
      await redis.eval(RELEASE, 1, key, jobId).catch((err: unknown) => ctx.logger.warn({ err }, 'run key release failed'));
    }
  };
}

/** The key a running sync of one JSON endpoint service holds (same CLAIM / RELEASE as GET runs). */
export function endpointSyncKeyId(empresaId: number, servicoId: number): string {
  return `endpoint-sync-e${empresaId}-s${servicoId}`;
}

/**
 * Wraps the get queue's endpoint.sync handler: every sync holds its service's key while it runs, and a scheduled one
 * that finds another sync of the same service under way completes as skipped (seed 003 services on a cron: a tick
 * during a sync has nothing to add). A sync asked for by the API or the CLI runs anyway (it was asked for now); it
 * holds the key only when the key was free.
 */
export function oneSyncPerService(redis: Redis, prefix: string, handler: JobHandler<EndpointSyncPayload>): JobHandler<EndpointSyncPayload> {
  return async (payload: EndpointSyncPayload, ctx: JobContext) => {
    const key = deduplicationKey(prefix, endpointSyncKeyId(payload.tenant.empresaId, payload.servicoId));
    const jobId = String(ctx.job.id);
    const holder = String(await redis.eval(CLAIM, 1, key, jobId, `${prefix}:get:`));
    if (holder !== '' && payload.trigger === 'schedule') {
      ctx.logger.info({ servicoId: payload.servicoId, runningJobId: holder }, 'sync already in progress, skipped');
      return { skipped: true, reason: 'already-running', runningJobId: holder } satisfies SkippedRun;
    }
    try {
      return await handler(payload, ctx);
    } finally {
      if (holder === '')
        await redis.eval(RELEASE, 1, key, jobId).catch((err: unknown) => ctx.logger.warn({ err }, 'sync key release failed'));
    }
  };
}
