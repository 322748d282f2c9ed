import type { TenantRef } from '@integrador/jobs';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { limitKeys } from './limit-keys';

/** BullMQ's highest allowed priority number (lowest precedence). */
export const MAX_PRIORITY = 2 ** 21 - 1;

/**
 * Queues whose jobs with their own jobId go in arrival order, without a fairness priority: every cti job from a PBX
 * event or a click-to-call carries its own jobId, so it is never counted and would get priority 1 — a prioritized add
 * that orders nothing, and costs the fairness read and BullMQ's prioritized set. A cti job without one (system.ping)
 * is counted like any other.
 */
const ARRIVAL_ORDER_QUEUES: ReadonlySet<string> = new Set(['cti']);

/** Whether a job of `queue` (with or without its own jobId) gets a fairness priority (FairPriorities) when enqueued. */
export function fairnessApplies(queue: string, hasJobId: boolean): boolean {
  return !(hasJobId && ARRIVAL_ORDER_QUEUES.has(queue));
}

/** True when the job was counted by FairPriorities: prioritized and given a BullMQ-generated (numeric) id. */
export function countedForFairness(job: Job): boolean {
  return (job.opts.priority ?? 0) > 0 && /^\d+$/.test(String(job.id));
}

interface QueueCounts {
  /** Pending jobs per empresa as Redis had them at the last refresh (our own increments included). */
  base: Map<string, number>;
  /** This process's increments since then. */
  since: Map<string, number>;
  loadedAt: number;
  loading: Promise<void> | undefined;
}

/**
 * Fairness without a dispatcher, producer side: a job's BullMQ priority is its tenant's count of pending jobs on the
 * queue, so the n-th pending job of every tenant runs before any tenant's (n+1)-th, and a tenant with one job waiting
 * is served right after the head of a 100k burst. The counts live in one Redis hash per queue (so this holds across
 * producers, workers and restarts), read at most once a second and incremented in batches: the hot path costs no
 * Redis command. Another producer's increments are seen within a second — fairness is approximate by that much.
 * Jobs with a caller-chosen jobId may be duplicates BullMQ does not add, so they take the count without adding to it.
 */
export class FairPriorities {
  private readonly queues = new Map<string, QueueCounts>();
  private unflushed = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly refreshMs = 1000,
  ) {}

  /** The priority of a new job of `tenant` on `queue`. */
  async next(queue: string, tenant: TenantRef, counted: boolean): Promise<number> {
    const counts = await this.fresh(queue);
    const field = String(tenant.empresaId);
    if (counted) {
      counts.since.set(field, (counts.since.get(field) ?? 0) + 1);
      const key = `${queue}|${field}`;
      this.unflushed.set(key, (this.unflushed.get(key) ?? 0) + 1);
      this.timer ??= setTimeout(() => {
        this.flush().catch(() => undefined);
      }, this.refreshMs).unref();
    }
    const pending = (counts.base.get(field) ?? 0) + (counts.since.get(field) ?? 0);
    return Math.min(Math.max(pending, 1), MAX_PRIORITY);
  }

  /** Writes the batched increments (also on close). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.unflushed.size) return;
    const batch = this.unflushed;
    this.unflushed = new Map();
    const pipeline = this.redis.pipeline();
    for (const [key, n] of batch) {
      const [queue, field] = key.split('|') as [string, string];
      pipeline.hincrby(limitKeys.fairness(this.prefix, queue), field, n);
    }
    try {
      const replies = (await pipeline.exec()) ?? [];
      // The reply's own error (e.g. "Command timed out" while Redis is frozen) tells callers Redis is unavailable.
      const failed = replies.find(([err]) => err)?.[0];
      if (failed) throw failed;
    } catch (err) {
      // Redis is down (the producer fails fast): keep the increments for the next flush.
      for (const [key, n] of batch) this.unflushed.set(key, (this.unflushed.get(key) ?? 0) + n);
      throw err;
    }
  }

  private async fresh(queue: string): Promise<QueueCounts> {
    let counts = this.queues.get(queue);
    if (!counts) {
      counts = { base: new Map(), since: new Map(), loadedAt: 0, loading: undefined };
      this.queues.set(queue, counts);
    }
    if (Date.now() - counts.loadedAt > this.refreshMs) {
      const target = counts;
      target.loading ??= this.load(queue, target).finally(() => {
        target.loading = undefined;
      });
      await target.loading;
    }
    return counts;
  }

  private async load(queue: string, counts: QueueCounts): Promise<void> {
    await this.flush();
    const hash = await this.redis.hgetall(limitKeys.fairness(this.prefix, queue));
    counts.base = new Map(Object.entries(hash).map(([field, value]) => [field, Number(value)]));
    counts.since = new Map();
    counts.loadedAt = Date.now();
  }
}

/** Worker side: a counted job ended (completed, or failed for good); the decrements are written in batches. */
export class FairnessLedger {
  private pending = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly flushMs = 250,
  ) {}

  /** Counts the end of a job of the queue (no-op for jobs FairPriorities did not count). */
  ended(queue: string, job: Job): void {
    const empresaId = (job.data as { tenant?: TenantRef } | undefined)?.tenant?.empresaId;
    if (typeof empresaId !== 'number' || !countedForFairness(job)) return;
    const key = `${queue}|${empresaId}`;
    this.pending.set(key, (this.pending.get(key) ?? 0) + 1);
    this.timer ??= setTimeout(() => {
      this.flush().catch(() => undefined);
    }, this.flushMs).unref();
  }

  /** Writes the batched decrements (also on close). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending.size) return;
    const batch = this.pending;
    this.pending = new Map();
    const pipeline = this.redis.pipeline();
    for (const [key, n] of batch) {
      const [queue, field] = key.split('|') as [string, string];
      pipeline.hincrby(limitKeys.fairness(this.prefix, queue), field, -n);
    }
    await pipeline.exec();
  }
}
