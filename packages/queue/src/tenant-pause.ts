import { isQueueName } from '@integrador/jobs';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { DelayedReason } from './delayed-reason';
import type { JobProducer } from './job-producer';
import { withRedisDeadline } from './redis';

/**
 * A paused tenant's jobs are not taken: the worker moves each one to delayed without using an attempt and notes it,
 * so a resume promotes them at once. The CRM database (empresas_pausadas) is the source; this Redis set is the
 * workers' copy (written by the pause action, rewritten by every schedule reconcile), which each worker process
 * keeps in memory (PausedTenants: reread every second, confirmed in Redis before a job is held).
 */
const pausedKey = (prefix: string) => `${prefix}:tenants:paused`;
const heldKey = (prefix: string, empresaId: number) => `${prefix}:tenants:paused:${empresaId}:held`;

/** How long a held job waits before the worker looks again (a safety net: resuming promotes held jobs at once). */
export const PAUSED_RECHECK_MS = 60_000;

/** True when the tenant is paused (its jobs wait). */
export async function isTenantPaused(redis: Redis, prefix: string, empresaId: number): Promise<boolean> {
  return (await redis.sismember(pausedKey(prefix), String(empresaId))) === 1;
}

/** How often a worker process rereads the paused tenants. */
export const PAUSED_REFRESH_MS = 1000;

/**
 * A worker process's copy of the paused tenants: one SMEMBERS a second instead of one SISMEMBER a job. A tenant paused
 * meanwhile has its jobs held within PAUSED_REFRESH_MS; a job the copy believes paused is checked in Redis before it
 * is held, so a resume (which promotes the held jobs at once) is never answered with another hold.
 */
export class PausedTenants {
  private paused = new Set<string>();
  private first: Promise<void> | undefined;
  private loading: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    onError: (err: unknown) => void,
    refreshMs = PAUSED_REFRESH_MS,
  ) {
    this.timer = setInterval(() => void this.refresh().catch(onError), refreshMs).unref();
  }

  /** True when the tenant is paused (its job must be held). The first call waits for the first reading. */
  async isPaused(empresaId: number): Promise<boolean> {
    // Until one reading succeeded, a job fails on Redis' error (and retries) as it did with a SISMEMBER per job.
    this.first ??= this.refresh().catch((err: unknown) => {
      this.first = undefined;
      throw err;
    });
    await this.first;
    if (!this.paused.has(String(empresaId))) return false;
    return isTenantPaused(this.redis, this.prefix, empresaId);
  }

  /** Rereads the set; concurrent calls share one read. */
  refresh(): Promise<void> {
    this.loading ??= this.redis
      .smembers(pausedKey(this.prefix))
      .then((members) => {
        this.paused = new Set(members);
      })
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }

  /** Stops the rereading. */
  close(): void {
    clearInterval(this.timer);
  }
}

/** Replaces the workers' copy of the paused tenants with the database's list. */
export async function mirrorPausedTenants(redis: Redis, prefix: string, empresaIds: readonly number[]): Promise<void> {
  const multi = redis.multi().del(pausedKey(prefix));
  if (empresaIds.length) multi.sadd(pausedKey(prefix), ...empresaIds.map(String));
  await multi.exec();
}

/** Holds a job of a paused tenant: delayed (no attempt used) and noted for the resume; answers the error to throw. */
export async function holdPausedJob(redis: Redis, prefix: string, job: Job, token: string | undefined, empresaId: number) {
  await redis.sadd(heldKey(prefix, empresaId), `${job.queueName}/${job.id}`);
  await job.moveToDelayed(Date.now() + PAUSED_RECHECK_MS, token);
  return new DelayedReason('TENANT_PAUSED', `tenant ${empresaId} paused`);
}

/** Pauses or resumes a tenant in the workers' copy; a resume promotes the jobs held meanwhile. Answers how many. */
export async function setTenantPausedMirror(producer: JobProducer, prefix: string, empresaId: number, paused: boolean): Promise<number> {
  const redis = producer.connection;
  if (paused) {
    await withRedisDeadline(redis.sadd(pausedKey(prefix), String(empresaId)), 2000, 'pause tenant');
    return 0;
  }
  await withRedisDeadline(redis.srem(pausedKey(prefix), String(empresaId)), 2000, 'resume tenant');
  const held = await redis.smembers(heldKey(prefix, empresaId));
  let promoted = 0;
  for (const ref of held) {
    const queue = ref.slice(0, ref.indexOf('/'));
    if (!isQueueName(queue)) continue;
    const job = await producer.queue(queue).getJob(ref.slice(queue.length + 1));
    if (job && (await job.getState()) === 'delayed') {
      await job.promote();
      promoted++;
    }
  }
  await redis.del(heldKey(prefix, empresaId));
  return promoted;
}
