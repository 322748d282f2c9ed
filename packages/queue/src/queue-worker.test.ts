import { createLogger } from '@integrador/logging';
import { startTestQueues, type TestQueues } from '@integrador/test-support/test-producer';
import { Queue, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { type JobProducer, queueOptions } from './job-producer';
import { type QueueHandlers, startQueueWorker } from './queue-worker';
import { mirrorPausedTenants, setTenantPausedMirror } from './tenant-pause';
import { readTenantStats } from './tenant-stats';

const logger = createLogger({ name: 'test', level: 'silent' });

describe('producer and worker', () => {
  let queues: TestQueues;
  let prefix: string;
  let producerRedis: Redis;
  let workerRedis: Redis;
  let producer: JobProducer;
  let worker: Worker | undefined;
  const seen: unknown[] = [];

  beforeEach(async () => {
    queues = await startTestQueues({ logger });
    ({ prefix, redis: producerRedis, workerRedis, producer } = queues);
    seen.length = 0;
  });

  afterEach(async () => {
    await worker?.close();
    await queues.close();
  });

  function start(observer?: Parameters<typeof startQueueWorker>[0]['observer']) {
    worker = startQueueWorker({
      ...(observer ? { observer } : {}),
      queue: 'cti',
      connection: workerRedis,
      prefix,
      concurrency: 2,
      logger,
      handlers: {
        'system.ping': async (payload) => {
          seen.push(payload);
          return { pong: true, pid: process.pid, sleptMs: payload.sleepMs, at: new Date().toISOString() };
        },
        // Only pings are enqueued here; the cti queue's other job kinds are not under test.
      } satisfies Pick<QueueHandlers<'cti'>, 'system.ping'> as unknown as QueueHandlers<'cti'>,
    });
  }

  it('runs a valid job and counts it for its tenant', async () => {
    start();
    const job = await producer.enqueue('cti', 'system.ping', { tenant: { empresaId: 7, filialId: null }, sleepMs: 0 });
    const queue = producer.queue('cti');
    await waitFor(async () => (await queue.getJobState(job.id as string)) === 'completed');
    expect((await queue.getJob(job.id as string))?.returnvalue).toMatchObject({ pong: true });
    expect(job.opts.attempts).toBe(5);
    expect(job.opts.removeOnComplete).toEqual({ age: 86400, count: 1000 });
    expect(seen).toEqual([{ tenant: { empresaId: 7, filialId: null }, sleepMs: 0 }]);
    await waitFor(async () => (await readTenantStats(producerRedis, prefix, 20)).length > 0);
    expect(await readTenantStats(producerRedis, prefix, 20)).toEqual([{ queue: 'cti', empresaId: 7, outcome: 'completed', count: 1 }]);
    expect(queue.opts.prefix).toBe(prefix);
  });

  it('tells its observer of each start and completion, and a throwing observer fails no job', async () => {
    const events: string[] = [];
    start({
      onJobEvent(event) {
        events.push(`${event.kind} ${event.queue}/${event.job.id}`);
        throw new Error('observer broken');
      },
    });
    const job = await producer.enqueue('cti', 'system.ping', { tenant: { empresaId: 7, filialId: null }, sleepMs: 0 });
    await waitFor(async () => (await producer.queue('cti').getJobState(job.id as string)) === 'completed');
    await waitFor(async () => events.length === 2);
    expect(events).toEqual([`started cti/${job.id}`, `completed cti/${job.id}`]);
  });

  it('refuses an invalid payload before it reaches Redis', async () => {
    await expect(producer.enqueue('cti', 'system.ping', { tenant: { empresaId: -1, filialId: null }, sleepMs: 0 })).rejects.toThrow(
      '/tenant/empresaId',
    );
    expect(await producer.queue('cti').count()).toBe(0);
  });

  it('fails a job that bypassed validation once, without retries, and counts the failure', async () => {
    const raw = new Queue('cti', queueOptions(producerRedis, prefix));
    const job = await raw.add('system.ping', { tenant: { empresaId: 9, filialId: null }, sleepMs: 'x' }, { attempts: 5 });
    start();
    await waitFor(async () => (await raw.getJobState(job.id as string)) === 'failed');
    const failed = await raw.getJob(job.id as string);
    expect(failed?.attemptsMade).toBe(1);
    expect(failed?.failedReason).toContain('/sleepMs');
    expect(seen).toEqual([]);
    await waitFor(async () => (await readTenantStats(producerRedis, prefix, 20)).some((c) => c.outcome === 'failed'));
    await raw.close();
  });

  it("holds a paused tenant's jobs without using an attempt, runs the others, and runs them at once on resume", async () => {
    await mirrorPausedTenants(producerRedis, prefix, [7]);
    const kinds: string[] = [];
    start({ onJobEvent: (e) => kinds.push(`${e.job.id}:${e.kind}`) });
    const held = await producer.enqueue('cti', 'system.ping', { tenant: { empresaId: 7, filialId: null }, sleepMs: 0 });
    const other = await producer.enqueue('cti', 'system.ping', { tenant: { empresaId: 8, filialId: null }, sleepMs: 0 });
    const queue = producer.queue('cti');
    await waitFor(async () => (await queue.getJobState(other.id as string)) === 'completed');
    await waitFor(async () => (await queue.getJobState(held.id as string)) === 'delayed');
    expect((await queue.getJob(held.id as string))?.attemptsMade).toBe(0);
    expect(kinds).toContain(`${held.id}:delayed`);
    expect(seen).toHaveLength(1);

    // The resume promotes the held job: it runs now, not at the end of PAUSED_RECHECK_MS.
    expect(await setTenantPausedMirror(producer, prefix, 7, false)).toBe(1);
    await waitFor(async () => (await queue.getJobState(held.id as string)) === 'completed');
    expect(seen).toHaveLength(2);
  });

  it('holds the jobs of a tenant paused while it runs (its copy is reread every second), and the others go on', async () => {
    start();
    const queue = producer.queue('cti');
    const first = await producer.enqueue('cti', 'system.ping', { tenant: { empresaId: 7, filialId: null }, sleepMs: 0 });
    await waitFor(async () => (await queue.getJobState(first.id as string)) === 'completed');
    await mirrorPausedTenants(producerRedis, prefix, [7]);
    // The copy is reread every PAUSED_REFRESH_MS: a job sent before the reread may still run, so probe until one is
    // held (on a loaded machine the timer can fire late) — then every later job of the tenant is held too.
    let held = '';
    await waitFor(async () => {
      const probe = await producer.enqueue('cti', 'system.ping', { tenant: { empresaId: 7, filialId: null }, sleepMs: 0 });
      const state = async () => queue.getJobState(probe.id as string);
      await waitFor(async () => ['completed', 'delayed'].includes(await state()));
      held = probe.id as string;
      return (await state()) === 'delayed';
    }, 20_000);
    const later = await producer.enqueue('cti', 'system.ping', { tenant: { empresaId: 7, filialId: null }, sleepMs: 0 });
    const other = await producer.enqueue('cti', 'system.ping', { tenant: { empresaId: 8, filialId: null }, sleepMs: 0 });
    await waitFor(async () => (await queue.getJobState(other.id as string)) === 'completed');
    await waitFor(async () => (await queue.getJobState(later.id as string)) === 'delayed');
    expect(await queue.getJobState(held)).toBe('delayed');
    expect((await queue.getJob(later.id as string))?.attemptsMade).toBe(0);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
