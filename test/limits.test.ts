import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TenantRef } from '@integrador/jobs';
import { createLogger } from '@integrador/logging';
import { type JobProducer, type LimitRule, releaseReservations, writeLimitsMirror } from '@integrador/queue';
import { type AppProcess, spawnApp } from '@integrador/test-support/processes';
import { TEST_REDIS_URL, testPrefix } from '@integrador/test-support/redis-server';
import { startTestProducer, type TestProducer } from '@integrador/test-support/test-producer';
import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';

// Per-tenant limits across several real worker processes (three worker-cti processes sharing one Redis).
const logger = createLogger({ name: 'test', level: 'silent' });
// Also the concurrency leases' lifetime; long enough that a loaded machine does not lose locks.
const LOCK_MS = 5000;

function rule(empresaId: number, ratePerSecond: number, extra: Partial<LimitRule> = {}): LimitRule {
  return { empresaId, filialId: null, connection: null, ratePerSecond, burst: 1, maxConcurrency: 0, ...extra };
}

describe('per-tenant limits across worker processes', () => {
  const prefix = testPrefix();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'limits-'));
  let queues: TestProducer;
  let redis: Redis;
  let producer: JobProducer;
  let queue: Queue;
  let rules: LimitRule[] = [];
  const workers: AppProcess[] = [];

  function spawnWorker(entry = 'apps/worker-cti/src/main.ts'): AppProcess {
    const worker = spawnApp(entry, {
      REDIS_URL: TEST_REDIS_URL,
      KEY_PREFIX: prefix,
      DATA_DIR: dataDir,
      WORKER_CONCURRENCY: '10',
      JOB_LOCK_MS: String(LOCK_MS),
      SHUTDOWN_TIMEOUT_MS: '3000',
      LOG_LEVEL: 'info',
    });
    workers.push(worker);
    return worker;
  }

  async function setLimits(next: LimitRule[]): Promise<void> {
    rules = next;
    await writeLimitsMirror(redis, prefix, rules);
  }

  async function enqueue(tenant: TenantRef, count: number, sleepMs = 0): Promise<Job[]> {
    const jobs: Job[] = [];
    for (let i = 0; i < count; i += 500) {
      const chunk = Array.from({ length: Math.min(500, count - i) }, () => producer.enqueue('cti', 'system.ping', { tenant, sleepMs }));
      jobs.push(...(await Promise.all(chunk)));
    }
    return jobs;
  }

  async function completedOf(empresaId: number): Promise<number> {
    return Number((await redis.zscore(`${prefix}:stats:cti:completed`, String(empresaId))) ?? '0');
  }

  beforeAll(async () => {
    queues = await startTestProducer({ prefix, commandTimeoutMs: 10000, enqueueTimeoutMs: 10000, logger });
    ({ redis, producer } = queues);
    queue = producer.queue('cti');
    await Promise.all([spawnWorker(), spawnWorker(), spawnWorker()].map((w) => w.waitForLog('worker started', 60000)));
  }, 90000);

  afterAll(async () => {
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    await queues.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }, 30000);

  afterEach(async () => {
    // Drop what a test left queued (waiting, prioritized and delayed) so the next one starts clean.
    await queue.drain(true);
  });

  it('holds a tenant to 20 jobs/s (±10 %) over 30 s with 3 workers, without using attempts, while another tenant runs freely', async () => {
    const a = { empresaId: 101, filialId: null };
    const b = { empresaId: 102, filialId: null };
    await setLimits([rule(101, 20)]);
    await new Promise((r) => setTimeout(r, 1500)); // every worker has reloaded the mirror
    const aJobs = await enqueue(a, 800);
    await new Promise((r) => setTimeout(r, 2000)); // past the start: measure the steady state
    const startedAt = Date.now();
    const before = await completedOf(101);
    const bJobs = await enqueue(b, 300);
    // B is not limited: its jobs finish at full speed, while A's backlog is still being spread out.
    const bDoneBy = Date.now() + 15000;
    while ((await completedOf(102)) < 300 && Date.now() < bDoneBy) await new Promise((r) => setTimeout(r, 100));
    expect(await completedOf(102)).toBe(300);
    expect(Date.now() - startedAt).toBeLessThan(15000);
    await new Promise((r) => setTimeout(r, startedAt + 30000 - Date.now()));
    const rate = ((await completedOf(101)) - before) / ((Date.now() - startedAt) / 1000);
    expect(rate).toBeGreaterThanOrEqual(18);
    expect(rate).toBeLessThanOrEqual(22);

    // Delayed by the limit, not failed: A's waiting jobs have used no attempt, and the finished ones exactly
    // one (BullMQ counts the successful run), though most were started more than once.
    // getDelayed lists the ids first and reads each job after: one listed as delayed may have been promoted and
    // completed in between (its one attempt made, correctly). Only the jobs still unfinished when read are judged.
    const delayed = (await queue.getDelayed(0, 50)).filter((j) => j.finishedOn === undefined);
    expect(delayed.length).toBeGreaterThan(10);
    const spent = delayed.filter((j) => j.attemptsMade !== 0 || j.attemptsStarted < 1);
    // The stack trace says what spent an attempt (BullMQ keeps it, not failedReason, on a job delayed for a retry).
    expect(
      spent.map((j) => ({ id: j.id, made: j.attemptsMade, started: j.attemptsStarted, reason: j.failedReason, stack: j.stacktrace })),
    ).toEqual([]);
    const finished = (await Promise.all(aJobs.slice(0, 200).map((j) => queue.getJob(j.id as string)))).filter((j) => j?.finishedOn);
    expect(finished.length).toBeGreaterThan(100);
    expect(finished.every((j) => j?.attemptsMade === 1 && j.failedReason === undefined)).toBe(true);
    expect(finished.filter((j) => (j?.attemptsStarted ?? 0) > 1).length).toBeGreaterThan(50);
    const bSample = await Promise.all(bJobs.slice(0, 50).map((j) => queue.getJob(j.id as string)));
    expect(bSample.every((j) => j?.attemptsStarted === 1 && j.attemptsMade === 1)).toBe(true);
  }, 60000);

  it('applies a limit change to running workers, without a restart, within a couple of seconds', async () => {
    const a = { empresaId: 103, filialId: null };
    await setLimits([rule(103, 2)]);
    await new Promise((r) => setTimeout(r, 1500));
    await enqueue(a, 300);
    const rateOver = async (ms: number) => {
      const before = await completedOf(103);
      await new Promise((r) => setTimeout(r, ms));
      return ((await completedOf(103)) - before) / (ms / 1000);
    };
    await new Promise((r) => setTimeout(r, 1000));
    expect(await rateOver(3000)).toBeLessThanOrEqual(3);

    const pids = workers.map((w) => w.child.pid);
    await setLimits([rule(103, 40)]);
    await new Promise((r) => setTimeout(r, 1500)); // the workers' poll interval
    await releaseReservations(redis, prefix, 103, ['e:103'], (name) => producer.queue(name as 'cti'));
    await new Promise((r) => setTimeout(r, 500));
    const raised = await rateOver(3000);
    expect(raised).toBeGreaterThan(25);
    expect(raised).toBeLessThanOrEqual(45);

    await setLimits([rule(103, 5)]);
    await new Promise((r) => setTimeout(r, 1500));
    await releaseReservations(redis, prefix, 103, ['e:103'], (name) => producer.queue(name as 'cti'));
    await new Promise((r) => setTimeout(r, 500));
    expect(await rateOver(3000)).toBeLessThanOrEqual(6);
    expect(workers.map((w) => w.child.pid)).toEqual(pids);
    expect(workers.every((w) => w.child.exitCode === null)).toBe(true);
  }, 60000);

  it('starts a tenant’s single job within 2 s behind another tenant’s backlog of 20,000 jobs', async () => {
    await setLimits([]);
    const a = { empresaId: 104, filialId: null };
    // 200 ms each on 30 slots: the workers drain ~150/s, so most of the backlog is still queued when B arrives.
    await enqueue(a, 20000, 200);
    const counts = await queue.getJobCounts('prioritized', 'waiting');
    expect((counts.prioritized ?? 0) + (counts.waiting ?? 0)).toBeGreaterThan(10000);
    const [b] = await enqueue({ empresaId: 105, filialId: null }, 1);
    const enqueuedAt = Date.now();
    let started: number | undefined;
    while (!started && Date.now() - enqueuedAt < 10000) {
      started = (await queue.getJob(b?.id as string))?.processedOn;
      if (!started) await new Promise((r) => setTimeout(r, 20));
    }
    expect(started).toBeDefined();
    expect((started as number) - enqueuedAt).toBeLessThan(2000);
    // The backlog is still there: B was served ahead of it, not after it.
    expect((await queue.getJobCounts('prioritized')).prioritized).toBeGreaterThan(5000);
  }, 60000);

  it('caps a tenant at K jobs active at once across every worker', async () => {
    await setLimits([rule(106, 0, { maxConcurrency: 2 })]);
    await new Promise((r) => setTimeout(r, 1500));
    const jobs = await enqueue({ empresaId: 106, filialId: null }, 8, 700);
    const deadline = Date.now() + 30000;
    while ((await completedOf(106)) < 8 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const done = await Promise.all(jobs.map((j) => queue.getJob(j.id as string)));
    // Each ping reports when its sleep ended; it held its slot for the 700 ms before.
    const spans = done.map((j) => {
      const end = Date.parse((j?.returnvalue as { at: string } | undefined)?.at ?? '');
      return [end - 700, end] as const;
    });
    const overlap = Math.max(...spans.map(([start]) => spans.filter(([s, e]) => s <= start && start < e).length));
    expect(overlap).toBe(2);
    expect(done.every((j) => j?.attemptsMade === 1)).toBe(true);
    // Slots are released in batches a few ms after the jobs end.
    const releasedBy = Date.now() + 2000;
    while ((await redis.zcard(`${prefix}:limits:active:e:106`)) > 0 && Date.now() < releasedBy) await new Promise((r) => setTimeout(r, 20));
    expect(await redis.zcard(`${prefix}:limits:active:e:106`)).toBe(0);
  }, 60000);

  it('frees the slot of a worker that crashed while holding it', async () => {
    await setLimits([rule(107, 0, { maxConcurrency: 1 })]);
    // The running worker-cti processes read the limits every second (pollMs): a cap they have not read yet does not
    // hold the next job back, whatever the dead worker's lease (the compiled worker-get starts in well under a second).
    await new Promise((r) => setTimeout(r, 1500));
    const getWorker = spawnWorker('apps/worker-get/src/main.ts');
    await getWorker.waitForLog('worker started', 60000);
    const tenant = { empresaId: 107, filialId: null };
    await producer.enqueue('get', 'system.ping', { tenant, sleepMs: 60000 });
    const holdBy = Date.now() + 10000;
    while ((await redis.zcard(`${prefix}:limits:active:e:107`)) < 1 && Date.now() < holdBy) await new Promise((r) => setTimeout(r, 50));
    expect(await redis.zcard(`${prefix}:limits:active:e:107`)).toBe(1);

    getWorker.child.kill('SIGKILL');
    await getWorker.exited;
    const [next] = await enqueue(tenant, 1);
    const deadline = Date.now() + 30000;
    while ((await queue.getJobState(next?.id as string)) !== 'completed' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    const job = await queue.getJob(next?.id as string);
    expect(job?.finishedOn).toBeDefined();
    // It was refused while the dead worker's lease was still valid, then ran once the lease lapsed.
    expect(job?.attemptsStarted).toBeGreaterThan(1);
    expect(job?.attemptsMade).toBe(1);
  }, 60000);
});
