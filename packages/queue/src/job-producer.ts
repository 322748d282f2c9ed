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
import { FlowProducer, type Job, type JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { addValidatedFlow } from './flows/flow-producer';
import type { FlowNodeInput, FlowNodeRef } from './flows/flow-tree';
import { FairPriorities } from './limits/fairness';
import { withRedisDeadline } from './redis';
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
  /** While a job with this deduplication id is waiting or active, adding another returns that job (see integration-runs.ts). */
  deduplication?: { id: string };
}

/** The queue counts /metrics exports. */
export type QueueCounts = Record<'waiting' | 'active' | 'delayed' | 'failed' | 'completed' | 'prioritized' | 'waiting-children', number>;

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

  /** The producer's Redis connection (the limits commands write their mirror through it). */
  get connection(): Redis {
    return this.options.connection;
  }

  /** The BullMQ queue of a name, created on first use. */
  queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, queueOptions(this.options.connection, this.options.prefix));
      queue.on('error', (err) => this.options.logger.warn({ err, queue: name }, 'queue error'));
      this.queues.set(name, queue);
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
    await this.guard.ensureUsable();
    const add = async () => {
      if (this.fair) jobOptions.priority = await this.fair.next(queue, (payload as { tenant: TenantRef }).tenant, !options.jobId);
      return this.queue(queue).add(name, withRequestId(payload), jobOptions);
    };
    return withRedisDeadline(add(), this.options.timeoutMs, `enqueue ${queue}/${name}`);
  }

  /** Validates every step and enqueues them as one BullMQ flow, a linear chain run first to last (flows/flow-tree.ts). */
  async enqueueFlow(jobName: string, steps: readonly FlowNodeInput[]): Promise<FlowNodeRef[]> {
    await this.guard.ensureUsable();
    if (!this.flowProducer) {
      this.flowProducer = new FlowProducer({ connection: this.options.connection, prefix: this.options.prefix });
      this.flowProducer.on('error', (err) => this.options.logger.warn({ err }, 'flow producer error'));
    }
    const added = addValidatedFlow(this.flowProducer, steps, { prefix: this.options.prefix, jobName });
    return withRedisDeadline(added, this.options.timeoutMs, `enqueue flow of ${steps.length} ${jobName}`);
  }

  /** One job of a queue, or undefined. */
  async getJob(queue: QueueName, id: string): Promise<Job | undefined> {
    await this.guard.ensureUsable();
    return withRedisDeadline(this.queue(queue).getJob(id), this.options.timeoutMs, `read job ${queue}/${id}`);
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
