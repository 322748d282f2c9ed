import {
  EVENTS_MAX_LEN,
  type JobName,
  type JobPayload,
  jobDefinition,
  QUEUE_NAMES,
  type QueueName,
  RETENTION,
  type TenantRef,
  validatePayload,
} from '@integrador/jobs';
import type { Logger } from '@integrador/logging';
import { FlowProducer, type Job, type JobState, type JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { EnqueueOutcomeUnknownError, QueueUnavailableError, RedisWriteRefusedError } from './errors';
import { addValidatedFlow } from './flows/flow-producer';
import type { FlowNodeInput, FlowNodeRef } from './flows/flow-tree';
import { idempotentJobId } from './idempotency';
import { FairPriorities, fairnessApplies } from './limits/fairness';
import { withRedisDeadline } from './redis';
import { redisErrors } from './redis-error-log';
import { RedisGuard } from './redis-guard';
import { withRequestId } from './request-context';

export interface JobProducerOptions {
  /** A producer-role connection (fails fast while Redis is down). */
  connection: Redis;
  prefix: string;
  /** How long one enqueue or read may take before it is answered as unavailable. */
  timeoutMs: number;
  logger: Logger;
  /** Fair share between tenants by priority (limits/fairness.ts); on unless false. */
  fairness?: boolean;
}

/** Options a caller may set on one job; attempts, backoff and retention come from the catalog. */
export interface EnqueueOptions {
  /** Deduplicates: a job with the same id already queued is returned instead of a new one. */
  jobId?: string;
  delay?: number;
  /**
   * While a job with this deduplication id is waiting or active (or, given ttl, for ttl ms after the first was added),
   * adding another returns that job (see integration-runs.ts; the CTI listener's dedupe window uses ttl).
   */
  deduplication?: { id: string; ttl?: number };
}

/** An enqueued job, and whether it was one already there (nothing was added): see JobProducer.enqueueOnce. */
export interface Enqueued {
  job: Job;
  deduplicated: boolean;
}

/** The queue counts /metrics exports. */
export type QueueCounts = Record<'waiting' | 'active' | 'delayed' | 'failed' | 'completed' | 'prioritized' | 'waiting-children', number>;

/**
 * Once an add was sent, a timeout or dropped connection says nothing about whether Redis ran it (a frozen Redis runs it
 * when it wakes): that is EnqueueOutcomeUnknownError, which tells the client to retry with the same idempotency key.
 * Before the add was sent (guard, fairness read), nothing was enqueued and the error stays QueueUnavailableError.
 */
async function outcomeKnown<T>(operation: Promise<T>, sent: { add: boolean }): Promise<T> {
  try {
    return await operation;
  } catch (err) {
    // A full, read-only or otherwise refusing Redis refused the add's writes: that outcome is known (nothing enqueued).
    // So is one whose command never left the client (no connection to write it to: ioredis refuses it at once).
    if (
      sent.add &&
      err instanceof QueueUnavailableError &&
      !(err instanceof EnqueueOutcomeUnknownError) &&
      !(err instanceof RedisWriteRefusedError) &&
      !neverSent(err)
    ) {
      throw new EnqueueOutcomeUnknownError(err.message, { cause: err });
    }
    throw err;
  }
}

/** True for ioredis' refusal of a command while the connection is not open (producers have no offline queue). */
function neverSent(err: Error): boolean {
  return err.cause instanceof Error && /Stream isn't writeable and enableOfflineQueue/.test(err.cause.message);
}

/** Builds BullMQ queue options shared by producers and workers of the fleet. */
export function queueOptions(connection: Redis, prefix: string) {
  return { connection, prefix, streams: { events: { maxLen: EVENTS_MAX_LEN } } };
}

/**
 * The one way jobs enter the fleet: validates the payload against the catalog, applies the job kind's
 * attempts/backoff and the fleet's retention, and fails fast (QueueUnavailableError) when Redis is down.
 */
export class JobProducer {
  private readonly queues = new Map<QueueName, Queue>();
  private flowProducer: FlowProducer | undefined;
  /** Refuses work while Redis is down or configured so that it could lose jobs. */
  readonly guard: RedisGuard;

  private readonly fair: FairPriorities | undefined;

  constructor(private readonly options: JobProducerOptions) {
    this.guard = new RedisGuard(options.connection, options.logger);
    this.fair = options.fairness === false ? undefined : new FairPriorities(options.connection, options.prefix);
  }

  /** The key prefix its queues (and the fleet's own keys) live under. */
  get prefix(): string {
    return this.options.prefix;
  }

  /** The producer's Redis connection (the limits commands write their mirror through it). */
  get connection(): Redis {
    return this.options.connection;
  }

  /** The BullMQ queue of a name, created on first use. */
  queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, queueOptions(this.options.connection, this.options.prefix));
      queue.on('error', (err) => redisErrors.report(this.options.logger, err, { queue: name }, 'queue error'));
      this.queues.set(name, queue);
      // BullMQ starts a queue once (its INFO version check); if that fails — Redis frozen or slow at that moment — the
      // queue rejects every later call with the same error. Forget it, so the next request starts a fresh one.
      const started = queue;
      started.waitUntilReady().catch(() => {
        if (this.queues.get(name) === started) this.queues.delete(name);
        started.close().catch(() => undefined);
      });
    }
    return queue;
  }

  /** Validates and enqueues one job; returns the BullMQ job. */
  async enqueue<Q extends QueueName, N extends JobName<Q>>(
    queue: Q,
    name: N,
    data: JobPayload<Q, N>,
    options: EnqueueOptions = {},
  ): Promise<Job> {
    const payload = validatePayload(queue, name, data);
    const definition = jobDefinition(queue, name);
    const jobOptions: JobsOptions = {
      attempts: definition?.policy.attempts,
      backoff: definition?.policy.backoff,
      ...RETENTION,
      ...options,
    };
    if (!this.guard.usableNow()) await this.guard.ensureUsable();
    const sent = { add: false };
    const add = async () => {
      if (this.fair && fairnessApplies(queue, options.jobId !== undefined))
        jobOptions.priority = await this.fair.next(queue, (payload as { tenant: TenantRef }).tenant, !options.jobId);
      sent.add = true;
      return this.queue(queue).add(name, withRequestId(payload), jobOptions);
    };
    return outcomeKnown(withRedisDeadline(add(), this.options.timeoutMs, `enqueue ${queue}/${name}`), sent);
  }

  /**
   * The admission of a job under a caller-chosen id (an Idempotency-Key's, idempotency.ts): a job that already holds the
   * id — the request's first attempt — is answered as it is with deduplicated = true, and so is another job holding the
   * deduplication id (BullMQ hands that one back); nothing is added then. BullMQ's add says neither (it returns the id
   * it was given), so the id is looked up first; two first attempts racing each other both read "new" and BullMQ still
   * adds one job.
   */
  async enqueueOnce<Q extends QueueName, N extends JobName<Q>>(
    queue: Q,
    name: N,
    data: JobPayload<Q, N>,
    options: EnqueueOptions & { jobId: string },
  ): Promise<Enqueued> {
    const existing = await this.getJob(queue, options.jobId);
    if (existing) return { job: existing, deduplicated: true };
    const job = await this.enqueue(queue, name, data, options);
    return { job, deduplicated: String(job.id) !== options.jobId };
  }

  /**
   * Enqueues one job of a tenant, once per Idempotency-Key when the caller sent one: the tenant, the operation (`scope`,
   * e.g. "ping-set") and the key name the job (idempotentJobId), so a replay answers the first job, deduplicated.
   */
  async enqueueIdempotent<Q extends QueueName, N extends JobName<Q>>(
    queue: Q,
    name: N,
    data: JobPayload<Q, N>,
    idempotency: { tenant: TenantRef; scope: string; key: string | undefined },
  ): Promise<Enqueued> {
    const { tenant, scope, key } = idempotency;
    if (key === undefined) return { job: await this.enqueue(queue, name, data), deduplicated: false };
    return this.enqueueOnce(queue, name, data, { jobId: idempotentJobId(tenant, scope, key) });
  }

  /** Validates every step and enqueues them as one BullMQ flow, a linear chain run first to last (flows/flow-tree.ts). */
  async enqueueFlow(jobName: string, steps: readonly FlowNodeInput[], options: { newId?: () => string } = {}): Promise<FlowNodeRef[]> {
    await this.guard.ensureUsable();
    if (!this.flowProducer) {
      this.flowProducer = new FlowProducer({ connection: this.options.connection, prefix: this.options.prefix });
      const flowProducer = this.flowProducer;
      flowProducer.on('error', (err) => redisErrors.report(this.options.logger, err, {}, 'flow producer error'));
      // Same as queue(): a flow producer whose start failed is replaced on the next request.
      flowProducer.waitUntilReady().catch(() => {
        if (this.flowProducer === flowProducer) this.flowProducer = undefined;
        flowProducer.close().catch(() => undefined);
      });
    }
    const sent = { add: false };
    const added = addValidatedFlow(this.flowProducer, steps, { prefix: this.options.prefix, jobName, ...options }, () => {
      sent.add = true;
    });
    return outcomeKnown(withRedisDeadline(added, this.options.timeoutMs, `enqueue flow of ${steps.length} ${jobName}`), sent);
  }

  /** One job of a queue, or undefined (also for an id that names one of BullMQ's own keys rather than a job). */
  async getJob(queue: QueueName, id: string): Promise<Job | undefined> {
    await this.guard.ensureUsable();
    try {
      return await withRedisDeadline(this.queue(queue).getJob(id), this.options.timeoutMs, `read job ${queue}/${id}`);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('WRONGTYPE')) return undefined;
      throw err;
    }
  }

  /**
   * A job and its state, the state read first: a job seen completed or failed then carries its result or failure
   * reason (a job read before its state can finish in between and show `completed` with no result yet). A job that
   * finished between the two reads (`finishedOn` set, which BullMQ writes in the same script that moves it to completed
   * or failed) has its state read again, so it is not shown active with an attempt it never started.
   */
  async getJobWithState(queue: QueueName, id: string): Promise<{ job: Job; state: JobState | 'unknown' } | undefined> {
    const state = await this.getJobState(queue, id);
    if (state === undefined) return undefined;
    const job = await this.getJob(queue, id);
    if (!job) return undefined;
    if (job.finishedOn && state !== 'completed' && state !== 'failed') {
      const settled = await this.getJobState(queue, id);
      if (settled === undefined) return undefined;
      return { job, state: settled };
    }
    return { job, state };
  }

  /**
   * When a delayed job runs next (its next attempt, for a job retrying), or undefined for a job not delayed. BullMQ
   * keeps it as the job's score in the queue's delayed set: the timestamp × 0x1000 plus a counter that orders jobs
   * delayed to the same millisecond.
   */
  async nextRunAt(queue: QueueName, id: string): Promise<Date | undefined> {
    const score = await this.read(`read next run of job ${queue}/${id}`, async () => {
      const backend = this.queue(queue).getBackend();
      return (await backend.client).zscore(backend.keys.delayed as string, id);
    });
    return score === null ? undefined : new Date(Math.floor(Number(score) / 0x1000));
  }

  /** The state of one job; undefined for an id that names one of BullMQ's own keys rather than a job. */
  private async getJobState(queue: QueueName, id: string): Promise<JobState | 'unknown' | undefined> {
    try {
      return await this.read(`read state of job ${queue}/${id}`, () => this.queue(queue).getJobState(id));
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('WRONGTYPE')) return undefined;
      throw err;
    }
  }

  /** Runs a read of the queues under the producer's guard and deadline (QueueUnavailableError instead of a hang). */
  async read<T>(what: string, work: () => Promise<T>): Promise<T> {
    await this.guard.ensureUsable();
    return withRedisDeadline(work(), this.options.timeoutMs, what);
  }

  /** Counts of every queue by state. */
  async counts(): Promise<Record<QueueName, QueueCounts>> {
    await this.guard.ensureUsable();
    const all = await withRedisDeadline(
      Promise.all(
        QUEUE_NAMES.map((name) =>
          this.queue(name).getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized', 'waiting-children'),
        ),
      ),
      this.options.timeoutMs,
      'queue counts',
    );
    return Object.fromEntries(QUEUE_NAMES.map((name, i) => [name, all[i] as QueueCounts])) as Record<QueueName, QueueCounts>;
  }

  /** Closes the queues (not the shared connection, which its owner closes). */
  async close(): Promise<void> {
    await this.fair?.flush().catch(() => undefined);
    await Promise.allSettled([...this.queues.values(), ...(this.flowProducer ? [this.flowProducer] : [])].map((q) => q.close()));
    this.queues.clear();
    this.flowProducer = undefined;
  }
}
