import { createLogger } from '@integrador/logging';
import type { JobProducer } from '@integrador/queue';
import { spawnApp } from '@integrador/test-support/processes';
import { TEST_REDIS_URL } from '@integrador/test-support/redis-server';
import { startTestProducer, type TestProducer } from '@integrador/test-support/test-producer';
import type { Queue } from 'bullmq';

const logger = createLogger({ name: 'test', level: 'silent' });
const tenant = { empresaId: 1, filialId: null };

describe('worker shutdown on SIGTERM', () => {
  let prefix: string;
  let producer: JobProducer;
  let testProducer: TestProducer;

  beforeEach(async () => {
    testProducer = await startTestProducer({ logger });
    ({ producer, prefix } = testProducer);
  });

  afterEach(async () => {
    await testProducer.close();
  });

  async function activeCount(queue: Queue): Promise<number> {
    return (await queue.getJobCounts('active')).active ?? 0;
  }

  it('lets in-flight jobs finish, loses nothing and exits within its deadline', async () => {
    const worker = spawnApp('apps/worker-cti/src/main.ts', {
      REDIS_URL: TEST_REDIS_URL,
      KEY_PREFIX: prefix,
      SHUTDOWN_TIMEOUT_MS: '10000',
      WORKER_CONCURRENCY: '4',
      LOG_LEVEL: 'info',
    });
    await worker.waitForLog('worker started');
    const queue = producer.queue('cti');
    // Long enough for a busy machine to start all four before the first ends (the wait below needs them together).
    const jobs = await Promise.all([1, 2, 3, 4].map(() => producer.enqueue('cti', 'system.ping', { tenant, sleepMs: 4000 })));
    while ((await activeCount(queue)) < 4) await new Promise((r) => setTimeout(r, 20));
    // A job enqueued after the signal must stay queued for the next worker, not be taken and dropped.
    const sentAt = Date.now();
    worker.child.kill('SIGTERM');
    await worker.waitForLog('shutting down');
    const late = await producer.enqueue('cti', 'system.ping', { tenant, sleepMs: 0 });

    expect(await worker.exited).toBe(0);
    expect(Date.now() - sentAt).toBeLessThan(10000);
    for (const job of jobs) expect(await queue.getJobState(job.id as string)).toBe('completed');
    // Queued, not taken: BullMQ calls a queued job with a (fairness) priority "prioritized".
    expect(await queue.getJobState(late.id as string)).toBe('prioritized');
    expect(worker.lines.filter((l) => l.msg === 'job failed')).toEqual([]);
    // The drain names the jobs it waits for and its deadline, once, then says when they are done.
    const ids = jobs.map((job) => job.id as string);
    const waiting = worker.lines.filter((l) => String(l.msg).startsWith('waiting for'));
    expect(waiting).toEqual([
      expect.objectContaining({ msg: expect.stringMatching(/^waiting for 4 jobs \(.+\), up to 10 s$/), deadlineMs: 10000 }),
    ]);
    expect([...((waiting[0]?.jobs ?? []) as string[])].sort()).toEqual([...ids].sort());
    expect(worker.lines.filter((l) => l.msg === 'jobs in flight done, worker closed')).toHaveLength(1);
  });

  it('keeps draining when SIGTERM comes twice (to its process group, then again)', async () => {
    const worker = spawnApp(
      'apps/worker-cti/src/main.ts',
      { REDIS_URL: TEST_REDIS_URL, KEY_PREFIX: prefix, SHUTDOWN_TIMEOUT_MS: '10000', LOG_LEVEL: 'info' },
      [],
      { detached: true },
    );
    await worker.waitForLog('worker started');
    const queue = producer.queue('cti');
    const job = await producer.enqueue('cti', 'system.ping', { tenant, sleepMs: 1500 });
    while ((await activeCount(queue)) < 1) await new Promise((r) => setTimeout(r, 20));
    // As systemd's KillMode=control-group or a terminal's Ctrl-C do, then an impatient second one mid-drain.
    process.kill(-(worker.child.pid as number), 'SIGTERM');
    await worker.waitForLog('shutting down');
    process.kill(-(worker.child.pid as number), 'SIGTERM');

    expect(await worker.exited).toBe(0);
    expect(await queue.getJobState(job.id as string)).toBe('completed');
    expect(worker.lines.filter((l) => l.msg === 'shutdown already under way, signal ignored')).toHaveLength(1);
  });

  it('exits at the deadline when a job outlives it, leaving the job in Redis for another worker', async () => {
    const worker = spawnApp('apps/worker-cti/src/main.ts', {
      REDIS_URL: TEST_REDIS_URL,
      KEY_PREFIX: prefix,
      SHUTDOWN_TIMEOUT_MS: '1000',
      LOG_LEVEL: 'info',
    });
    await worker.waitForLog('worker started');
    const queue = producer.queue('cti');
    const job = await producer.enqueue('cti', 'system.ping', { tenant, sleepMs: 30000 });
    while ((await activeCount(queue)) < 1) await new Promise((r) => setTimeout(r, 20));
    const sentAt = Date.now();
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(1);
    // At the 1 s deadline, not at the job's end 30 s later (the bound leaves a busy machine room to exit).
    expect(Date.now() - sentAt).toBeLessThan(10000);
    // Still held as active: BullMQ's stalled-job check hands it to the next worker once the lock expires.
    expect(await queue.getJobState(job.id as string)).toBe('active');
  });
});
