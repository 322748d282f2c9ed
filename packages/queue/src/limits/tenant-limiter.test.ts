import { createLogger } from '@integrador/logging';
import { useTestRedis } from '@integrador/test-support/test-redis';
import { type Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { queueOptions } from '../job-producer';
import { LimitDelayError } from './limit-delay-error';
import type { LimitRule } from './limit-rule';
import { writeLimitsMirror } from './limits-mirror';
import { readDelayedNow } from './limits-status';
import { type Lease, TenantLimiter } from './tenant-limiter';

const logger = createLogger({ name: 'test', level: 'silent' });
const empresa = { empresaId: 5, filialId: null };
const filial = { empresaId: 5, filialId: 8 };

describe('TenantLimiter on a real Redis', () => {
  const testRedis = useTestRedis({ role: 'worker' });
  let prefix: string;
  let redis: Redis;
  let queue: Queue;
  let limiter: TenantLimiter;

  beforeEach(async () => {
    ({ redis, prefix } = testRedis);
    queue = new Queue('cti', queueOptions(redis, prefix));
    limiter = new TenantLimiter({ redis, prefix, logger, leaseMs: 1000 });
  });

  afterEach(async () => {
    await limiter.close();
    await queue.close();
  });

  async function configure(rules: Partial<LimitRule>[]): Promise<void> {
    await writeLimitsMirror(
      redis,
      prefix,
      rules.map((r) => ({ empresaId: 5, filialId: null, connection: null, ratePerSecond: 0, burst: 1, maxConcurrency: 0, ...r })),
    );
    await limiter.start();
  }

  const job = async (): Promise<Job> => queue.add('system.ping', { tenant: empresa, sleepMs: 0 });
  const refusal = async (run: Promise<unknown>): Promise<LimitDelayError> => {
    const error = await run.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(LimitDelayError);
    return error as LimitDelayError;
  };

  it('admits a burst, then gives each refused job its own later slot', async () => {
    await configure([{ ratePerSecond: 1, burst: 3 }]);
    const jobs = await Promise.all(Array.from({ length: 5 }, () => job()));
    const start = Date.now();
    for (const j of jobs.slice(0, 3)) await limiter.admit('cti', j, empresa);
    const first = await refusal(limiter.admit('cti', jobs[3] as Job, empresa));
    const second = await refusal(limiter.admit('cti', jobs[4] as Job, empresa));
    expect(first.reason).toBe('rate');
    expect(first.scope).toBe('e:5');
    // 1/s: the refused jobs are spread a second apart instead of all retrying at once.
    expect(first.until - start).toBeGreaterThanOrEqual(500);
    expect(second.until - first.until).toBeGreaterThanOrEqual(995);
    expect(second.until - first.until).toBeLessThanOrEqual(1005);
    expect(await redis.zcard(`${prefix}:limits:resv:e:5`)).toBe(2);
  });

  it('counts a job back from a slot wait and then delayed by the rate once, as waiting for its rate slot', async () => {
    await configure([{ ratePerSecond: 1, burst: 1, maxConcurrency: 1 }]);
    const [first, second] = [await job(), await job()];
    const lease = await limiter.admit('cti', first, empresa);
    expect((await refusal(limiter.admit('cti', second, empresa))).reason).toBe('concurrency');
    expect(await readDelayedNow(redis, prefix, 5)).toEqual({ rate: 0, concurrency: 1 });
    limiter.release(lease as Lease);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Taken again after its delay (BullMQ counts the start): the slot is free now, the token used by the first job.
    second.attemptsStarted = 2;
    expect((await refusal(limiter.admit('cti', second, empresa))).reason).toBe('rate');
    const waiting = await readDelayedNow(redis, prefix, 5);
    expect(waiting.rate + waiting.concurrency).toBe(1);
    expect(waiting).toEqual({ rate: 1, concurrency: 0 });
  });

  it('applies the stricter of the empresa and filial limits to a filial’s job, and none to an unlimited tenant', async () => {
    await configure([
      { ratePerSecond: 100, burst: 100 },
      { filialId: 8, ratePerSecond: 1, burst: 1 },
    ]);
    await limiter.admit('cti', await job(), filial);
    expect((await refusal(limiter.admit('cti', await job(), filial))).scope).toBe('e:5:f:8');
    // The empresa's other jobs still have room under the empresa-wide limit.
    await limiter.admit('cti', await job(), empresa);
    expect(await limiter.admit('cti', await job(), { empresaId: 6, filialId: null })).toBeUndefined();
  });

  it('caps concurrent jobs and frees the slot on release or when the lease lapses', async () => {
    await configure([{ maxConcurrency: 1 }]);
    const lease = await limiter.admit('cti', await job(), empresa);
    expect(lease?.keys).toEqual([`${prefix}:limits:active:e:5`]);
    expect((await refusal(limiter.admit('cti', await job(), empresa))).reason).toBe('concurrency');
    limiter.release(lease as NonNullable<typeof lease>);
    await new Promise((r) => setTimeout(r, 50));
    const second = await limiter.admit('cti', await job(), empresa);
    expect(second).toBeDefined();
    // A lease nobody renews (its worker died) lapses after leaseMs; simulate the death by forgetting it.
    (limiter as unknown as { leases: Set<unknown> }).leases.clear();
    await new Promise((r) => setTimeout(r, 1100));
    expect(await limiter.admit('cti', await job(), empresa)).toBeDefined();
  });

  it('takes the slots of a high cap a few at a time, never more than the cap across processes, and gives idle ones back', async () => {
    await configure([{ maxConcurrency: 20 }]);
    const other = new TenantLimiter({ redis, prefix, logger, leaseMs: 1000 });
    await other.start();
    const active = `${prefix}:limits:active:e:5`;
    try {
      const first = await limiter.admit('cti', await job(), empresa);
      // A cap of 20 is taken two slots per call: one for this job, one for the next job of this process.
      expect(await redis.zcard(active)).toBe(2);
      const leases = [first];
      for (let i = 0; i < 9; i++) leases.push(await limiter.admit('cti', await job(), empresa));
      for (let i = 0; i < 10; i++) leases.push(await other.admit('cti', await job(), empresa));
      expect(await redis.zcard(active)).toBe(20);
      expect((await refusal(other.admit('cti', await job(), empresa))).reason).toBe('concurrency');
      expect((await refusal(limiter.admit('cti', await job(), empresa))).reason).toBe('concurrency');

      // A finished job's slot stays with its process for that process's next job, still counted in Redis.
      const next = await job();
      if (first) limiter.release(first);
      const reused = await limiter.admit('cti', next, empresa);
      expect(reused?.slots[0]?.member).toBe(first?.slots[0]?.member);
      expect(await redis.zcard(active)).toBe(20);

      // Unused, it goes back to Redis a few ms later.
      for (const lease of [...leases.slice(1, 10), reused]) if (lease) limiter.release(lease);
      for (const lease of leases.slice(10)) if (lease) other.release(lease);
      const freedBy = Date.now() + 10000;
      while ((await redis.zcard(active)) > 0 && Date.now() < freedBy) await new Promise((r) => setTimeout(r, 10));
      expect(await redis.zcard(active)).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('pauses one tenant’s connection on Retry-After, leaving its other connections and other tenants alone', async () => {
    await configure([]);
    const limits = limiter.forJob('cti', await job(), empresa);
    await limits.acquire({ connection: 'erp' });
    const delay = await limits.retryAfter({ connection: 'erp', ms: 1500 });
    expect(delay).toBeInstanceOf(LimitDelayError);
    const again = await refusal(limiter.forJob('cti', await job(), empresa).acquire({ connection: 'erp' }));
    expect(again.reason).toBe('retry-after');
    expect(again.until).toBe(delay?.until);
    await limiter.forJob('cti', await job(), empresa).acquire({ connection: 'crm_api' });
    await limiter.forJob('cti', await job(), { empresaId: 6, filialId: null }).acquire({ connection: 'erp' });
  });

  it('holds another process’s calls to that connection from its next poll, a filial’s calls included', async () => {
    await configure([]);
    const other = new TenantLimiter({ redis, prefix, logger, leaseMs: 1000, pollMs: 100 });
    await other.start();
    try {
      // No limit configured: the other process checks Redis only for a connection it knows is cooling down.
      const delay = await limiter.forJob('cti', await job(), empresa).retryAfter({ connection: 'erp', ms: 3000 });
      const polledBy = Date.now() + 2000;
      while (other.config.cooldownUntil('e:5:c:erp') === 0 && Date.now() < polledBy) await new Promise((r) => setTimeout(r, 20));
      for (const tenant of [empresa, filial]) {
        const held = await refusal(other.forJob('cti', await job(), tenant).acquire({ connection: 'erp' }));
        expect(held.reason).toBe('retry-after');
        expect(held.until).toBe(delay?.until);
      }
      await other.forJob('cti', await job(), empresa).acquire({ connection: 'crm_api' });
    } finally {
      await other.close();
    }
  });
});
